using Comet.History.Tests.Checking;

namespace Comet.History.Tests.Recording;

/// <summary>A client of the grid that records what it did: every call returns the operation as the history keeps it.</summary>
internal interface IKeyValueClient
{
    string Name { get; }

    /// <summary>GET with R = 2 of N = 3.</summary>
    Task<ReadOp> ReadAsync(string key, CancellationToken ct);

    /// <summary>PUT (N = 3, W = 2) of <paramref name="value"/> with the context <paramref name="read"/> returned; without a read, a blind write.</summary>
    Task<WriteOp> WriteAsync(string key, string value, ReadOp? read, CancellationToken ct);
}
