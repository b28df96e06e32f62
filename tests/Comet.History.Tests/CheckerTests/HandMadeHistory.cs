using Comet.History.Tests.Checking;

namespace Comet.History.Tests.CheckerTests;

/// <summary>Histories written by hand for the checker's own tests: times in milliseconds, one key unless named.</summary>
internal sealed class HandMadeHistory
{
    public const string Key = "k";

    public RecordedHistory History { get; } = new();

    /// <summary>A read that returned <paramref name="values"/> (none: a 404 with the empty context); returns its id.</summary>
    public int Read(int from, int to, params string[] values) => ReadOf(Key, from, to, values);

    public int ReadOf(string key, int from, int to, params string[] values)
    {
        var id = History.NextId();
        History.Add(new ReadOp(id, "c", key, "test", Ms(from), Ms(to), values.Length switch { 0 => 404, 1 => 200, _ => 300 }, Outcome.Ok, values,
            "ctx-" + id, ""));
        return id;
    }

    /// <summary>A write of <paramref name="value"/> with the context of read <paramref name="read"/> (null: blind).</summary>
    public void Write(string value, int? read, int from, int to, Outcome outcome = Outcome.Ok) => WriteOf(Key, value, read, from, to, outcome);

    public void WriteOf(string key, string value, int? read, int from, int to, Outcome outcome = Outcome.Ok)
    {
        var status = outcome switch { Outcome.Ok => 201, Outcome.Failed => 409, _ => 503 };
        History.Add(new WriteOp(History.NextId(), "c", key, "test", Ms(from), Ms(to), value, read, read is null ? null : "ctx-" + read, status, outcome,
            outcome == Outcome.Ok ? "" : status.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>The final read of every one of three silos returned <paramref name="values"/>.</summary>
    public void Final(params string[] values) => FinalOf(Key, values);

    public void FinalOf(string key, params string[] values)
    {
        foreach (var silo in new[] { "silo-1", "silo-2", "silo-3" })
            History.Add(new FinalRead(key, silo, values.Length switch { 0 => 404, 1 => 200, _ => 300 }, values, ""));
    }

    public CheckResult Check() => HistoryChecker.Check(History);

    private static TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);
}
