using Comet.Abstractions.Errors;

namespace Comet.Storage;

/// <summary>
/// A conditional write, delete or batch did not apply because the row's state did not match its
/// condition (it exists for InsertOnly, or its ETag is not the expected one). Nothing changed:
/// re-read the row and decide again. Code is always <see cref="CometErrorCode.Conflict"/>.
/// </summary>
public sealed class StorageConflictException : CometException
{
    /// <summary>A conflict with a generic message.</summary>
    public StorageConflictException()
        : base(CometErrorCode.Conflict, "The row changed since it was read; re-read it and retry.") { }

    /// <summary>A conflict explained by <paramref name="message"/>.</summary>
    public StorageConflictException(string message)
        : base(CometErrorCode.Conflict, message) { }

    /// <summary>A conflict explained by <paramref name="message"/>, caused by <paramref name="innerException"/>.</summary>
    public StorageConflictException(string message, Exception innerException)
        : base(CometErrorCode.Conflict, message, innerException) { }

    /// <summary>A batch conflict: operation <paramref name="operationIndex"/> failed its condition.</summary>
    public StorageConflictException(string message, int operationIndex)
        : base(CometErrorCode.Conflict, message) => OperationIndex = operationIndex;

    /// <summary>For a batch, the index of the operation whose condition failed; null otherwise.</summary>
    public int? OperationIndex { get; }
}
