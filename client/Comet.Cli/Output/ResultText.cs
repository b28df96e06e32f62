using Comet.Client;

namespace Comet.Cli.Output;

/// <summary>The readable answers of write commands: one <c>name  value</c> pair a line (easy to read, easy to awk).</summary>
internal static class ResultText
{
    public static void WritePut(TextWriter output, CometPutResult result)
    {
        output.WriteLine($"version   {result.Version}");
        output.WriteLine($"replicas  {result.Replicas}");
        output.WriteLine($"created   {(result.Created ? "yes" : "no")}");
        output.WriteLine($"context   {result.Context}");
    }

    public static void WriteDelete(TextWriter output, string key, CometDeleteResult result)
    {
        output.WriteLine($"deleted   {key}");
        output.WriteLine($"version   {result.Version}");
        output.WriteLine($"replicas  {result.Replicas}");
    }
}
