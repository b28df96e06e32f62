using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Comet.Persistence.Sqlite;

/// <summary>
/// Waits for a lock another connection or process holds, polling about every millisecond until the
/// busy timeout. SQLite's own <c>busy_timeout</c> handler backs off to 100 ms sleeps, so against a
/// process that commits back to back, a waiting silo process polls rarely, mostly finds the lock
/// taken again and starves for seconds; a short constant poll keeps every process's writes moving.
/// SQLitePCLRaw does not bind <c>sqlite3_busy_handler</c>, so it is called in the bundled native
/// library directly; where that library is not found, <c>PRAGMA busy_timeout</c> stays in charge.
/// </summary>
internal static unsafe partial class SqliteBusyWaiter
{
    private const int YieldingPolls = 4;

    /// <summary>When the current wait began: SQLite calls the handler on the thread running the statement.</summary>
    [ThreadStatic]
    private static long waitStartedAt;

    private static bool unavailable;
    private static bool installed;

    /// <summary>True once the waiter was installed on a connection (false: <c>PRAGMA busy_timeout</c> waits instead).</summary>
    public static bool Installed => Volatile.Read(ref installed);

    /// <summary>Installs the waiter on <paramref name="connection"/>, replacing <c>PRAGMA busy_timeout</c>'s handler.</summary>
    public static void Install(SqliteConnection connection, TimeSpan timeout)
    {
        if (Volatile.Read(ref unavailable))
            return;
        try
        {
            if (sqlite3_busy_handler(connection.Handle!.DangerousGetHandle(), &OnBusy, (nint)(long)timeout.TotalMilliseconds) == 0)
                Volatile.Write(ref installed, true);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            Volatile.Write(ref unavailable, true);
        }
    }

    [LibraryImport("e_sqlite3")]
    private static partial int sqlite3_busy_handler(nint db, delegate* unmanaged[Cdecl]<nint, int, int> handler, nint timeoutMilliseconds);

    /// <summary>SQLite calls this with <paramref name="count"/> = 0, 1, 2... while the lock stays taken; 0 means give up (SQLITE_BUSY).</summary>
    // A shim around a body the JIT never inlines: a call in the body that skips the GC transition (Stopwatch's clock)
    // then gets its GC poll inside the body, while the thread is still in managed mode, and never after the callback's
    // return to native code (the sandbox's callback rule; the root cause of its crash under the time limit).
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnBusy(nint timeoutMilliseconds, int count) => OnBusyBody(timeoutMilliseconds, count);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int OnBusyBody(nint timeoutMilliseconds, int count)
    {
        var now = Stopwatch.GetTimestamp();
        if (count == 0)
            waitStartedAt = now;
        else if (Stopwatch.GetElapsedTime(waitStartedAt, now).TotalMilliseconds >= timeoutMilliseconds)
            return 0;
        if (count < YieldingPolls)
            Thread.Yield();
        else
            Thread.Sleep(1);
        return 1;
    }
}
