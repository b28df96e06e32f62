using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Comet.Sandbox.Native;

/// <summary>
/// The <c>lua_Alloc</c> of every sandboxed state: malloc/realloc/free with a per-state byte budget
/// kept in the state's <see cref="SandboxBlock"/>. Polling the heap from a hook does not work (one
/// <c>string.rep</c> reaches 100 MB inside one instruction), so the allocator itself refuses growth.
/// </summary>
internal static unsafe partial class LimitedAllocator
{
    /// <summary>The function pointer handed to <c>lua_newstate</c>.</summary>
    public static delegate* unmanaged[Cdecl]<void*, void*, nuint, nuint, void*> Pointer => &Allocate;

    // Every [UnmanagedCallersOnly] entry of the sandbox is a shim around a NoInlining body
    // (CallbackRule in SandboxState.cs): the libc calls below suppress the GC transition, and
    // the JIT may put their GC poll after the callback's exit to preemptive mode.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void* Allocate(void* ud, void* ptr, nuint osize, nuint nsize) => AllocateBody(ud, ptr, osize, nsize);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void* AllocateBody(void* ud, void* ptr, nuint osize, nuint nsize)
    {
        var block = (SandboxBlock*)ud;
        // When ptr is NULL, osize encodes the kind of object being created, not a size.
        long old = ptr == null ? 0 : (long)osize;
        if (nsize == 0)
        {
            if (ptr != null)
            {
                Free(ptr);
                block->HeapUsed -= old;
            }
            return null;
        }

        long growth = (long)nsize - old;
        // Only growth is refused: Lua assumes shrinking never fails. The budget holds only while
        // Lua code runs; host-side work (pushing arguments, restoring state) must never fail.
        if (growth > 0 && block->EnforceBudget != 0 && block->HeapUsed + growth > block->HeapLimit)
        {
            block->RefusedAllocations++;
            return null;
        }

        void* result = Realloc(ptr, nsize);
        if (result == null)
        {
            // A failed shrink keeps the old block, which is still valid.
            return growth <= 0 ? ptr : null;
        }
        block->HeapUsed += growth;
        if (block->HeapUsed > block->HeapPeak)
        {
            block->HeapPeak = block->HeapUsed;
        }
        return result;
    }

    // libc directly, without a GC transition: the allocator already runs in cooperative mode
    // (it is an UnmanagedCallersOnly callback), and malloc/free never call back into .NET.
    // NativeMemory.Realloc would add a second transition to every Lua allocation.
    [LibraryImport("libc", EntryPoint = "realloc"), SuppressGCTransition]
    private static partial void* Realloc(void* ptr, nuint size);

    [LibraryImport("libc", EntryPoint = "free"), SuppressGCTransition]
    private static partial void Free(void* ptr);
}
