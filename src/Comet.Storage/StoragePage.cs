namespace Comet.Storage;

/// <summary>One page of a query's rows, in order.</summary>
/// <param name="Rows">The rows of this page (possibly none).</param>
/// <param name="Continuation">Pass to the next QueryAsync to go on; null when there are no more rows.</param>
public sealed record StoragePage(IReadOnlyList<StorageRow> Rows, string? Continuation);
