using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Comet.Tests.Shared;

/// <summary>
/// One Azurite table service for the test run: the one at <c>COMET_AZURITE_TABLE_ENDPOINT</c> if
/// set (e.g. <c>http://127.0.0.1:10002/devstoreaccount1</c>), otherwise a private in-memory
/// Azurite started from <c>.ci/azurite</c> (installed by <c>.ci/azurite.sh</c> when missing) on a
/// free port, and stopped at the end. Tests never skip: without Azurite or npm they fail, saying why.
/// </summary>
/// <remarks>Comet.Grid.Tests compiles this same file (linked in its project file).</remarks>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string EndpointVariable = "COMET_AZURITE_TABLE_ENDPOINT";

    /// <summary>Azurite's well-known development account (public, documented; not a secret).</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    public const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private System.Diagnostics.Process? azurite;

    /// <summary>The table endpoint, e.g. http://127.0.0.1:41234/devstoreaccount1.</summary>
    public Uri TableEndpoint { get; private set; } = new Uri("http://127.0.0.1:10002/devstoreaccount1");

    /// <summary>A connection string for the well-known development account at <see cref="TableEndpoint"/>.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={DevelopmentAccountName};AccountKey={DevelopmentAccountKey};TableEndpoint={TableEndpoint}";

    public async Task InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EndpointVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            TableEndpoint = new Uri(configured.TrimEnd('/'));
            return;
        }

        var root = RepositoryRoot();
        var program = Path.Combine(root, ".ci", "azurite", "node_modules", ".bin", "azurite-table");
        if (!File.Exists(program))
            await RunAsync("bash", Path.Combine(root, ".ci", "azurite.sh"), root, InstallTimeout);

        var port = FreePort();
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--tableHost", "127.0.0.1", "--tablePort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--inMemoryPersistence", "--disableTelemetry", "--silent" })
            start.ArgumentList.Add(arg);
        azurite = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        // Drain the pipes so a chatty Azurite can never block on a full pipe.
        azurite.OutputDataReceived += (_, _) => { };
        azurite.ErrorDataReceived += (_, _) => { };
        azurite.BeginOutputReadLine();
        azurite.BeginErrorReadLine();
        await WaitForPortAsync(port);
        TableEndpoint = new Uri($"http://127.0.0.1:{port}/{DevelopmentAccountName}");
    }

    public Task DisposeAsync()
    {
        if (azurite is { HasExited: false })
        {
            azurite.Kill(entireProcessTree: true);
            azurite.WaitForExit(10_000);
        }
        azurite?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The directory holding CometGrains.sln, found by walking up from the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CometGrains.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("CometGrains.sln not found above " + AppContext.BaseDirectory);
    }

    private async Task WaitForPortAsync(int port)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (azurite!.HasExited)
                throw new InvalidOperationException($"Azurite exited at start with code {azurite.ExitCode}.");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException($"Azurite did not listen on port {port} within {StartTimeout.TotalSeconds} s.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string program, string argument, string directory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(argument);
        using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException($"Could not run {program} {argument}.");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{argument} failed ({process.ExitCode}): {await stderr}{await stdout}");
    }
}

/// <summary>All Azure tests share one Azurite (and so run one class at a time).</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
