using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;

namespace Comet.Abstractions.Options;

/// <summary>The N/R/W a request runs with: the namespace's settings, overridden per request.</summary>
public readonly record struct QuorumPlan(int N, int R, int W)
{
    /// <summary>No namespace may ask for more replicas than this.</summary>
    public const int MaxReplicas = 16;

    public static QuorumPlan Resolve(NamespaceOptions ns, QuorumOptions request)
    {
        var n = request.N ?? ns.N;
        var r = request.R ?? Math.Min(ns.R, n);
        var w = request.W ?? Math.Min(ns.W, n);
        if (n is < 1 or > MaxReplicas)
            throw new CometException(CometErrorCode.BadRequest, $"n={n}: the number of replicas must be 1..{MaxReplicas}.");
        if (r < 1 || r > n)
            throw new CometException(CometErrorCode.BadRequest, $"r={r}: the read quorum must be 1..n (n={n}).");
        if (w < 1 || w > n)
            throw new CometException(CometErrorCode.BadRequest, $"w={w}: the write quorum must be 1..n (n={n}).");
        return new QuorumPlan(n, r, w);
    }
}
