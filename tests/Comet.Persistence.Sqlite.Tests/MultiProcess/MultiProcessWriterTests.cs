using Comet.Persistence.Sqlite.Tests.Clustering;
using Comet.Persistence.Sqlite.Tests.Storage;
using Orleans;
using Orleans.Runtime;

namespace Comet.Persistence.Sqlite.Tests.MultiProcess;

/// <summary>
/// Several real OS processes race conditional writes on one SQLite file, as the silo processes of
/// the local multi-process cluster do: exactly one wins each version, no update is lost, the file
/// stays sound, even when a process is killed with SIGKILL mid-run.
/// </summary>
public sealed class MultiProcessWriterTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TempDatabase database = new();
    private readonly string goFile;

    public MultiProcessWriterTests()
    {
        Directory.CreateDirectory(database.Directory);
        goFile = Path.Combine(database.Directory, "go");
    }

    public void Dispose() => database.Dispose();

    [Fact]
    public async Task Membership_updates_racing_from_four_processes_have_exactly_one_winner_per_table_version()
    {
        const int processes = 4, rounds = 100;
        var clusterId = "race-" + Guid.NewGuid().ToString("N");
        using var table = MembershipTableFixture.Create(database, clusterId);
        await table.InitializeMembershipTable(true);
        var entry = MembershipEntries.New();
        Assert.True(await table.InsertRow(entry, (await table.ReadAll()).Version.Next()));
        const int target = 1 + rounds;

        var writers = Enumerable.Range(0, processes)
            .Select(_ => WriterProcess.Start("membership", database.Path, clusterId, entry.SiloAddress.ToParsableString(), goFile, target.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .ToArray();
        try
        {
            await Task.WhenAll(writers.Select(w => w.WaitReadyAsync(Timeout)));
            await File.WriteAllTextAsync(goFile, "go");
            foreach (var writer in writers)
                Assert.True(await writer.WaitForExitAsync(Timeout) == 0, writer.Errors);

            var won = writers.SelectMany(w => w.Won).Order().ToArray();
            Assert.Equal(Enumerable.Range(2, rounds).Select(v => (long)v), won);
            Assert.True(writers.Sum(w => w.Losses) > 0, "the processes never raced");
            var final = await table.ReadRow(entry.SiloAddress);
            Assert.Equal(target, final.Version.Version);
            // Each winner incremented what it read: a lost update would leave fewer increments than wins.
            Assert.Equal(rounds, final.Members[0].Item1.UpdateZone);
            Assert.Equal("ok", database.IntegrityCheck());
        }
        finally
        {
            foreach (var writer in writers)
                writer.Dispose();
        }
    }

    [Fact]
    public async Task Grain_state_writes_racing_from_three_processes_lose_nothing_when_one_is_killed_with_SIGKILL()
    {
        const int processes = 3, target = 1000;
        var serviceId = "race-" + Guid.NewGuid().ToString("N");
        var grain = GrainId.Create("counter-grain", "shared");
        var arguments = new[] { "grainstate", database.Path, serviceId, grain.ToString(), goFile, target.ToString(System.Globalization.CultureInfo.InvariantCulture) };

        var writers = Enumerable.Range(0, processes).Select(_ => WriterProcess.Start(arguments)).ToArray();
        try
        {
            await Task.WhenAll(writers.Select(w => w.WaitReadyAsync(Timeout)));
            await File.WriteAllTextAsync(goFile, "go");
            // Kill one process a quarter of the way in: it is mid-loop (reading, writing, or holding the write lock).
            var victim = writers[0];
            var deadline = DateTime.UtcNow + Timeout;
            while (writers.Sum(w => w.Wins) < target / 4 && DateTime.UtcNow < deadline)
                await Task.Delay(1);
            victim.Kill();
            Assert.NotEqual(0, await victim.WaitForExitAsync(Timeout));
            foreach (var survivor in writers.Skip(1))
                Assert.True(await survivor.WaitForExitAsync(Timeout) == 0, survivor.Errors);

            var won = writers.SelectMany(w => w.Won).ToArray();
            Assert.Equal(won.Length, won.Distinct().Count());
            Assert.True(writers.Skip(1).Sum(w => w.Losses) > 0, "the processes never raced");
            Assert.All(won, v => Assert.InRange(v, 1, target));
            // The killed process may have committed one write it never got to print.
            Assert.InRange(target - won.Length, 0, 1);
            Assert.Equal(target, ReadCounter(serviceId, grain));
            Assert.Equal("ok", database.IntegrityCheck());
        }
        finally
        {
            foreach (var writer in writers)
                writer.Dispose();
        }
    }

    /// <summary>The counter as the writers store it (8 bytes, little-endian), read straight from the table.</summary>
    private long ReadCounter(string serviceId, GrainId grain)
    {
        var payload = database.Scalar($"SELECT payload FROM orleans_grain_state WHERE service_id = '{serviceId}' AND state_name = 'counter' AND grain_id = '{grain}';");
        return BitConverter.ToInt64((byte[])payload!);
    }
}
