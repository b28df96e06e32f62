namespace Comet.Abstractions.Protocol;

/// <summary>What a version holds.</summary>
public enum ObjectKind : byte
{
    /// <summary>A passive value: bytes, no code.</summary>
    Value = 0,
    /// <summary>An Active Storage Object: Lua code plus state.</summary>
    Aso = 1,
    /// <summary>A delete marker: a version that says "no object", so a delete wins over the versions it saw.</summary>
    Tombstone = 2,
}
