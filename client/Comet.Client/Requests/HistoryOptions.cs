namespace Comet.Client;

/// <summary>Options of a history read (<see cref="CometClient.HistoryAsync"/>).</summary>
public sealed record HistoryOptions
{
    /// <summary>Application namespace; null: <see cref="CometClientOptions.DefaultNamespace"/>.</summary>
    public string? Namespace { get; init; }
}
