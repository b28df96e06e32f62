using Comet.Abstractions.Versions;
using Comet.Abstractions.Options;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Ring;
using Comet.Grid.Membership;
using Comet.Grid.Replication;
using Comet.Storage.Sqlite;

namespace Comet.Grid.Tests.Process;

/// <summary>
/// Real silo processes (the built comet-silo executable) sharing one SQLite file in a temporary
/// directory; faults are real <c>kill -9</c>s. The test reads the same file to see the membership
/// table and each silo's stored replicas.
/// </summary>
internal sealed partial class SiloProcesses : IAsyncDisposable
{
    /// <summary>Small ring and a short anti-entropy period so that repair is quick to observe.</summary>
    public const int Partitions = 64;

    [GeneratedRegex(@"Silo (silo-\d+) up: REST (http://127\.0\.0\.1:\d+)")]
    private static partial Regex SiloUp();

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("comet-processes-");
    private readonly Dictionary<string, RunningSilo> _running = new(StringComparer.Ordinal);
    private readonly string[] _extraArgs;
    private SqliteStorageProvider? _reader;

    public SiloProcesses(params string[] extraArgs) => _extraArgs = extraArgs;

    public string Database => Path.Combine(_dir.FullName, "comet.db");

    private sealed class RunningSilo : IDisposable
    {
        public required System.Diagnostics.Process Process { get; init; }
        public required string Url { get; init; }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    /// <summary>The REST addresses of the silos running now, by silo id.</summary>
    public IReadOnlyDictionary<string, string> Urls
    {
        get
        {
            lock (_running) return _running.ToDictionary(p => p.Key, p => p.Value.Url);
        }
    }

    public async Task<string> StartAsync(string id)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] args =
        [
            SiloProcessTests.SiloExecutable(), "--silo-id", id, "--data", Database, "--http-port", "0", "--silo-port", "0", "--gateway-port", "0",
            "--partitions", Partitions.ToString(CultureInfo.InvariantCulture), "--Comet:Silo:AntiEntropyPeriod", "00:00:02",
            .. _extraArgs,
        ];
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var process = System.Diagnostics.Process.Start(start)!;
        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && SiloUp().Match(e.Data) is { Success: true } m) url.TrySetResult(m.Groups[2].Value);
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = await url.Task.WaitAsync(TimeSpan.FromSeconds(60));
            lock (_running) _running[id] = new RunningSilo { Process = process, Url = address };
            return address;
        }
        catch
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>A real crash: SIGKILL, no shutdown code runs.</summary>
    public void Kill9(string id)
    {
        RunningSilo silo;
        lock (_running)
        {
            silo = _running[id];
            _running.Remove(id);
        }
        using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", silo.Process.Id.ToString(CultureInfo.InvariantCulture)]))
            kill.WaitForExit();
        silo.Process.WaitForExit(10_000);
        silo.Dispose();
    }

    /// <summary>A provider of the test's own on the shared file (SQLite is safe across processes).</summary>
    private SqliteStorageProvider Reader => _reader ??= new SqliteStorageProvider(new SqliteStorageOptions { DataSource = Database });

    public async Task<MembershipEntry?> MembershipRowAsync(string id)
    {
        var table = new MembershipTable(await Reader.OpenTableAsync(MembershipTable.TableName));
        return (await table.ReadAsync(id, CancellationToken.None))?.Entry;
    }

    /// <summary>Waits for a silo's membership row to reach <paramref name="status"/>; returns how long that took.</summary>
    public async Task<TimeSpan> WaitForStatusAsync(string id, SiloStatus status, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while ((await MembershipRowAsync(id))?.Status != status)
        {
            Assert.True(clock.Elapsed < limit, $"{id} was not {status} after {limit.TotalSeconds} s");
            await Task.Delay(50);
        }
        return clock.Elapsed;
    }

    /// <summary>The live version ids each silo has stored for a key in the default namespace, by silo id.</summary>
    public async Task<Dictionary<string, string>> StoredVersionsAsync(string key, IEnumerable<string> silos)
    {
        var objectKey = ObjectKey.Create("default", key);
        var partition = new HashRing(["any"], Partitions).PartitionOf(objectKey.Hash);
        var table = await Reader.OpenTableAsync(ReplicaStore.TableName);
        var versions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var silo in silos)
        {
            var row = await table.ReadAsync(ReplicaStore.PartitionKey(silo, partition), ReplicaStore.RowKey(objectKey));
            if (row is null) continue;
            var record = ReplicaRecord.Decode(row.Data.Span);
            versions[silo] = string.Join(",", record.Live.Select(v => v.Version.Id).Order(StringComparer.Ordinal));
        }
        return versions;
    }

    /// <summary>Puts through the first silo that answers, trying each running silo once.</summary>
    public async Task<HttpResponseMessage?> PutAnywhereAsync(HttpClient http, string path, string value, int start)
    {
        var urls = Urls.Values.ToArray();
        for (var attempt = 0; attempt < urls.Length; attempt++)
        {
            try
            {
                var response = await http.PutAsync(urls[(start + attempt) % urls.Length] + path, new StringContent(value));
                if (response.IsSuccessStatusCode || (int)response.StatusCode < 500) return response;
            }
            catch (HttpRequestException)
            {
                // That silo is down: try the next.
            }
            catch (TaskCanceledException)
            {
            }
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        lock (_running)
        {
            foreach (var silo in _running.Values) silo.Dispose();
            _running.Clear();
        }
        if (_reader is not null) await _reader.DisposeAsync();
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
