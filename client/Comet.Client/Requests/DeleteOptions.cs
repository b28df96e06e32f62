namespace Comet.Client;

/// <summary>Options of a delete (<see cref="CometClient.DeleteAsync"/>). Null fields take the namespace's settings.</summary>
public sealed record DeleteOptions
{
    /// <summary>Application namespace; null: <see cref="CometClientOptions.DefaultNamespace"/>.</summary>
    public string? Namespace { get; init; }

    /// <summary>Replicas the key is kept on (N); null: the namespace's N.</summary>
    public int? N { get; init; }

    /// <summary>Replicas that must acknowledge the delete (W, at most N); null: the namespace's W.</summary>
    public int? W { get; init; }

    /// <summary>The causal context of a previous get: the delete then removes exactly the versions that get saw.</summary>
    public string? Context { get; init; }

    /// <summary>Any object, serialised to a JSON object and given to the ASO's handlers as <c>caller.args</c>.</summary>
    public object? Args { get; init; }

    /// <summary>Handler arguments as raw JSON object text (instead of <see cref="Args"/>).</summary>
    public string? ArgsJson { get; init; }
}
