using Comet.Abstractions.Errors;

namespace Comet.Sandbox;

/// <summary>A snapshot of one object's handler statistics (for the admin API and metrics).</summary>
public sealed class AsoStats
{
    /// <summary>Handler calls made (onPut, onGet, onUpdate, onTimer), failed ones included.</summary>
    public long Calls { get; init; }

    /// <summary>Handler calls that failed, rejections included.</summary>
    public long Failures { get; init; }

    /// <summary>Failures by error code (only codes that occurred).</summary>
    public IReadOnlyDictionary<CometErrorCode, long> FailuresByCode { get; init; } = new Dictionary<CometErrorCode, long>();

    /// <summary>Instruction-equivalents the last call used (to the guard hook's granularity).</summary>
    public long LastInstructions { get; init; }

    /// <summary>Instruction-equivalents all calls used.</summary>
    public long TotalInstructions { get; init; }

    /// <summary>comet.get/comet.put calls made.</summary>
    public long NeighbourCalls { get; init; }

    /// <summary>Lua heap bytes the object holds now.</summary>
    public long HeapBytes { get; init; }

    /// <summary>The most Lua heap the object ever held.</summary>
    public long PeakHeapBytes { get; init; }
}
