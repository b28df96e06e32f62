using System.Buffers;
using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Orleans;
using Orleans.Runtime;

namespace Comet.Persistence.Sqlite;

/// <summary>Maps a <see cref="MembershipEntry"/> to the columns of <c>orleans_membership</c> and back, field by field.</summary>
internal static class MembershipRow
{
    /// <summary>The column list every SELECT of an entry uses, in the order <see cref="Read"/> expects.</summary>
    public const string Columns =
        "silo_address, status, silo_name, host_name, proxy_port, role_name, update_zone, fault_zone, start_time, iamalive_time, suspect_times, version";

    /// <summary>Binds every field of <paramref name="entry"/> to <c>$silo, $status, ...</c>.</summary>
    public static void Bind(SqliteCommand command, MembershipEntry entry)
    {
        var p = command.Parameters;
        p.AddWithValue("$silo", Key(entry.SiloAddress));
        p.AddWithValue("$status", (int)entry.Status);
        p.AddWithValue("$silo_name", (object?)entry.SiloName ?? DBNull.Value);
        p.AddWithValue("$host_name", (object?)entry.HostName ?? DBNull.Value);
        p.AddWithValue("$proxy_port", entry.ProxyPort);
        p.AddWithValue("$role_name", (object?)entry.RoleName ?? DBNull.Value);
        p.AddWithValue("$update_zone", entry.UpdateZone);
        p.AddWithValue("$fault_zone", entry.FaultZone);
        p.AddWithValue("$start_time", Ticks(entry.StartTime));
        p.AddWithValue("$iamalive_time", Ticks(entry.IAmAliveTime));
        p.AddWithValue("$suspect_times", (object?)EncodeSuspectTimes(entry.SuspectTimes) ?? DBNull.Value);
    }

    /// <summary>Reads an entry and its ETag from a row selected with <see cref="Columns"/>.</summary>
    public static Tuple<MembershipEntry, string> Read(SqliteDataReader reader)
    {
        var entry = new MembershipEntry
        {
            SiloAddress = SiloAddress.FromParsableString(reader.GetString(0)),
            Status = (SiloStatus)reader.GetInt32(1),
            SiloName = reader.IsDBNull(2) ? null! : reader.GetString(2),
            HostName = reader.IsDBNull(3) ? null! : reader.GetString(3),
            ProxyPort = reader.GetInt32(4),
            RoleName = reader.IsDBNull(5) ? null : reader.GetString(5),
            UpdateZone = reader.GetInt32(6),
            FaultZone = reader.GetInt32(7),
            StartTime = new DateTime(reader.GetInt64(8), DateTimeKind.Utc),
            IAmAliveTime = new DateTime(reader.GetInt64(9), DateTimeKind.Utc),
            SuspectTimes = reader.IsDBNull(10) ? null : DecodeSuspectTimes(reader.GetString(10)),
        };
        return Tuple.Create(entry, ETag(reader.GetInt64(11)));
    }

    public static string Key(SiloAddress address) => address.ToParsableString();

    public static string ETag(long version) => version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Our ETags are row versions; anything else matches no row.</summary>
    public static long? ParseETag(string? etag) =>
        long.TryParse(etag, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) ? version : null;

    /// <summary>UTC ticks; an unspecified kind is taken as UTC (Orleans writes UTC).</summary>
    public static long Ticks(DateTime time) => time.Kind == DateTimeKind.Local ? time.ToUniversalTime().Ticks : time.Ticks;

    /// <summary>The gateway address of an entry: the silo's IP with its proxy port, as Orleans's own providers report it.</summary>
    public static Uri GatewayUri(SiloAddress silo, int proxyPort) =>
        SiloAddress.New(new IPEndPoint(silo.Endpoint.Address, proxyPort), silo.Generation).ToGatewayUri();

    private static string? EncodeSuspectTimes(List<Tuple<SiloAddress, DateTime>>? votes)
    {
        if (votes is null)
            return null;
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var (silo, time) in votes)
            {
                json.WriteStartObject();
                json.WriteString("silo", Key(silo));
                json.WriteNumber("time", Ticks(time));
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static List<Tuple<SiloAddress, DateTime>> DecodeSuspectTimes(string text)
    {
        using var document = JsonDocument.Parse(text);
        var votes = new List<Tuple<SiloAddress, DateTime>>(document.RootElement.GetArrayLength());
        foreach (var vote in document.RootElement.EnumerateArray())
        {
            votes.Add(Tuple.Create(
                SiloAddress.FromParsableString(vote.GetProperty("silo").GetString()!),
                new DateTime(vote.GetProperty("time").GetInt64(), DateTimeKind.Utc)));
        }
        return votes;
    }
}
