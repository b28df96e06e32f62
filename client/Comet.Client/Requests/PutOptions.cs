namespace Comet.Client;

/// <summary>Options of a put (<see cref="CometClient.PutAsync(string, ReadOnlyMemory{byte}, PutOptions?, CancellationToken)"/> and <see cref="CometClient.PutAsoAsync"/>). Null fields take the namespace's settings.</summary>
public sealed record PutOptions
{
    /// <summary>Application namespace; null: <see cref="CometClientOptions.DefaultNamespace"/>.</summary>
    public string? Namespace { get; init; }

    /// <summary>Lifetime in seconds (at least 1, at most the namespace's maximum); null: the namespace's default.</summary>
    public int? TtlSeconds { get; init; }

    /// <summary>Replicas to keep (N); null: the namespace's N.</summary>
    public int? N { get; init; }

    /// <summary>Replicas that must acknowledge before the put succeeds (W, at most N); null: the namespace's W.</summary>
    public int? W { get; init; }

    /// <summary>
    /// The causal context of a previous get (<see cref="CometGetResult.Context"/>): the put then replaces exactly the
    /// versions that get saw, and resolves siblings. Null: the put replaces what the coordinator has.
    /// </summary>
    public string? Context { get; init; }

    /// <summary>Any object, serialised to a JSON object (System.Text.Json, web defaults: camelCase) and given to the ASO's handlers as <c>caller.args</c>.</summary>
    public object? Args { get; init; }

    /// <summary>Handler arguments as raw JSON object text (instead of <see cref="Args"/>).</summary>
    public string? ArgsJson { get; init; }
}
