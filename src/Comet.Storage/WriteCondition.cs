namespace Comet.Storage;

/// <summary>What a conditional write requires of the row's current state.</summary>
public enum WriteConditionKind
{
    /// <summary>No requirement: insert or replace.</summary>
    Upsert = 0,

    /// <summary>The row must not exist.</summary>
    InsertOnly = 1,

    /// <summary>The row must exist with exactly the given ETag.</summary>
    IfMatch = 2,
}

/// <summary>
/// The precondition of a write: <see cref="Upsert"/> (unconditional; also the default value),
/// <see cref="InsertOnly"/> (Conflict if the row exists) or <see cref="IfMatch"/> (Conflict if the
/// row is missing or its ETag differs).
/// </summary>
public readonly record struct WriteCondition
{
    private WriteCondition(WriteConditionKind kind, string? etag)
    {
        Kind = kind;
        ETag = etag;
    }

    /// <summary>Which requirement this is.</summary>
    public WriteConditionKind Kind { get; }

    /// <summary>The ETag an <see cref="WriteConditionKind.IfMatch"/> write expects; null otherwise.</summary>
    public string? ETag { get; }

    /// <summary>Insert or replace, whatever is there.</summary>
    public static WriteCondition Upsert => default;

    /// <summary>Insert only if the row does not exist.</summary>
    public static WriteCondition InsertOnly => new(WriteConditionKind.InsertOnly, null);

    /// <summary>Replace only if the row exists and its current ETag is <paramref name="etag"/>.</summary>
    public static WriteCondition IfMatch(string etag)
    {
        ArgumentException.ThrowIfNullOrEmpty(etag);
        return new(WriteConditionKind.IfMatch, etag);
    }
}
