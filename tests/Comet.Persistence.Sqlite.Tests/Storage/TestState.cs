namespace Comet.Persistence.Sqlite.Tests.Storage;

/// <summary>A grain state for the storage tests, serialized by Orleans's own serializer.</summary>
[GenerateSerializer]
public sealed class TestState
{
    [Id(0)]
    public string? Name { get; set; }

    [Id(1)]
    public int Count { get; set; }

    [Id(2)]
    public byte[]? Blob { get; set; }
}
