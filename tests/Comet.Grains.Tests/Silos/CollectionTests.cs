using System.Net;
using Comet.Tests.Shared;
using Microsoft.Data.Sqlite;

namespace Comet.Grains.Tests.Silos;

/// <summary>
/// Garbage collection of deleted and expired keys: anti-entropy removes a key from storage once every replica has
/// held only deletions or expired versions for longer than the grace period, so storage rows return to their baseline.
/// </summary>
public sealed class CollectionTests
{
    [Fact]
    public async Task Deleted_and_expired_keys_leave_storage_after_the_grace_period_and_live_keys_stay()
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Comet:Silo:AntiEntropyPeriod"] = "00:00:01",
            ["Comet:Silo:TombstoneGrace"] = "00:00:03",
        };
        await using var cluster = await SiloCluster.StartAsync(3, configuration);
        using var http = new HttpClient { BaseAddress = cluster.Http(0) };
        var baseline = ReplicaRows(cluster.DataPath);

        var run = Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 12; i++)
        {
            var expiring = await http.PutAsync($"/v1/default/keys/gc-{run}-ttl-{i}?ttl=1&w=3", new StringContent("short-lived"));
            Assert.Equal(HttpStatusCode.Created, expiring.StatusCode);
            var deleted = await http.PutAsync($"/v1/default/keys/gc-{run}-del-{i}?w=3", new StringContent("to delete"));
            Assert.Equal(HttpStatusCode.Created, deleted.StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/v1/default/keys/gc-{run}-del-{i}?w=3")).StatusCode);
        }
        for (var i = 0; i < 4; i++)
            Assert.Equal(HttpStatusCode.Created, (await http.PutAsync($"/v1/default/keys/gc-{run}-live-{i}?w=3", new StringContent("keep me"))).StatusCode);

        var written = ReplicaRows(cluster.DataPath);
        Assert.True(written >= baseline + (24 + 4) * 3, $"rows: baseline {baseline}, after the writes {written}");

        // Every replica of the 24 dead keys goes; the 4 live keys' 12 replicas stay.
        await SiloCluster.EventuallyAsync(() => Task.FromResult(ReplicaRows(cluster.DataPath) == baseline + 4 * 3),
            $"replica rows back to baseline {baseline} + 12 live (now {ReplicaRows(cluster.DataPath)})", TimeSpan.FromSeconds(45));
        for (var i = 0; i < 4; i++)
            Assert.Equal("keep me", await http.GetStringAsync($"/v1/default/keys/gc-{run}-live-{i}?r=3"));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/v1/default/keys/gc-{run}-del-0?r=3")).StatusCode);

        // A collected key can be written again, and the new value is read back from every silo.
        Assert.Equal(HttpStatusCode.Created, (await http.PutAsync($"/v1/default/keys/gc-{run}-del-0?w=3", new StringContent("second life"))).StatusCode);
        for (var silo = 0; silo < 3; silo++)
        {
            using var other = new HttpClient { BaseAddress = cluster.Http(silo) };
            Assert.Equal("second life", await other.GetStringAsync($"/v1/default/keys/gc-{run}-del-0?r=3"));
        }
    }

    /// <summary>Rows of replica state in the cluster's SQLite file.</summary>
    private static long ReplicaRows(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM orleans_grain_state WHERE state_name = 'replica'";
        return (long)command.ExecuteScalar()!;
    }
}
