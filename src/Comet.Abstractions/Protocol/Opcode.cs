namespace Comet.Abstractions.Protocol;

/// <summary>
/// Request types of the binary protocol. 1–99 are client operations served by every silo's
/// gateway port; 100 and up are silo-to-silo operations (defined in Comet.Grid) and are refused
/// on connections that did not authenticate as a silo.
/// </summary>
public enum Opcode : ushort
{
    Put = 1,
    Get = 2,
    Delete = 3,
    History = 4,
    ClusterView = 5,
}

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
