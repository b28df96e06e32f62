namespace Comet.Abstractions.Protocol;

/// <summary>Per-request overrides; a null field takes the namespace's setting.</summary>
public readonly record struct QuorumOptions(int? N = null, int? R = null, int? W = null)
{
    internal void WriteTo(ref PayloadWriter writer)
    {
        writer.WriteVarUInt((ulong)(N ?? 0));
        writer.WriteVarUInt((ulong)(R ?? 0));
        writer.WriteVarUInt((ulong)(W ?? 0));
    }

    internal static QuorumOptions ReadFrom(ref PayloadReader reader)
    {
        static int? Opt(int v) => v == 0 ? null : v;
        return new QuorumOptions(Opt(reader.ReadLength(64)), Opt(reader.ReadLength(64)), Opt(reader.ReadLength(64)));
    }
}
