using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Storage;
using Microsoft.Extensions.Logging;

namespace Comet.Grid.Security;

/// <summary>
/// The API keys of every namespace, in the storage provider's <see cref="TableName"/> table (one row per key id,
/// holding the secret's hash, never the secret), cached in each silo and re-read every
/// <see cref="SecurityOptions.KeyRefreshPeriod"/> so a revocation anywhere takes effect everywhere within seconds.
/// Checking a key is a dictionary lookup plus one hash; it never waits on storage unless the id is unknown here.
/// </summary>
public sealed class ApiKeyStore : IAsyncDisposable
{
    public const string TableName = "apikeys";

    /// <summary>All keys live in one partition: the table is small, and a key must be found by id alone.</summary>
    private const string Partition = "keys";

    private readonly IStorageTable _table;
    private readonly SecurityOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly byte[]? _pepper;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly Lock _writing = new();
    private readonly TokenBucket? _missReads;
    private Dictionary<string, ApiKeyRecord> _keys = new(StringComparer.Ordinal);
    private long _lastRefreshTicks;
    private Task _refreshLoop = Task.CompletedTask;

    private ApiKeyStore(IStorageTable table, SecurityOptions options, TimeProvider time, ILogger logger)
    {
        _table = table;
        _options = options;
        _time = time;
        _logger = logger;
        _pepper = string.IsNullOrEmpty(options.KeyPepper) ? null : Encoding.UTF8.GetBytes(options.KeyPepper);
        _missReads = options.KeyMissReadsPerSecond > 0
            ? new TokenBucket(options.KeyMissReadsPerSecond, Math.Max(1, options.KeyMissReadsPerSecond), time.GetTimestamp(), time.TimestampFrequency)
            : null;
    }

    /// <summary>Opens the table, loads every key, and starts the periodic refresh.</summary>
    public static async Task<ApiKeyStore> OpenAsync(IStorageProvider storage, SecurityOptions options, TimeProvider time, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var table = await storage.OpenTableAsync(TableName, ct).ConfigureAwait(false);
        var store = new ApiKeyStore(table, options, time, logger);
        await store.RefreshAsync(ct).ConfigureAwait(false);
        store._refreshLoop = store.RefreshLoopAsync();
        return store;
    }

    /// <summary>Keys known to this silo right now (valid and revoked).</summary>
    public int Count => Volatile.Read(ref _keys).Count;

    /// <summary>Creates a key for <paramref name="ns"/>; the returned text is the only copy of its secret.</summary>
    public async Task<CreatedApiKey> CreateAsync(string ns, string? name, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(ns);
        if (name is { Length: > 200 }) throw new CometException(CometErrorCode.BadRequest, "A key's name is at most 200 characters.");
        while (true)
        {
            var id = ApiKeyToken.NewId();
            var secret = ApiKeyToken.NewSecret();
            var record = new ApiKeyRecord(id, ns, HashOf(secret), _time.GetUtcNow().ToUnixTimeMilliseconds(), 0, name);
            try
            {
                await _table.WriteAsync(Row(record), WriteCondition.InsertOnly, ct).ConfigureAwait(false);
            }
            catch (StorageConflictException)
            {
                continue; // 64-bit id collision: draw again
            }
            Remember(record);
            return new CreatedApiKey(record, ApiKeyToken.Format(id, secret));
        }
    }

    /// <summary>Marks a key revoked (the row stays, so every silo learns it is revoked). False when <paramref name="ns"/> has no such key.</summary>
    public async Task<bool> RevokeAsync(string ns, string id, CancellationToken ct)
    {
        while (true)
        {
            var row = await _table.ReadAsync(Partition, id, ct).ConfigureAwait(false);
            if (row is null || Parse(row) is not { } record || record.Namespace != ns) return false;
            if (record.IsRevoked)
            {
                Remember(record);
                return true;
            }
            var revoked = record with { RevokedAtMs = Math.Max(1, _time.GetUtcNow().ToUnixTimeMilliseconds()) };
            try
            {
                await _table.WriteAsync(Row(revoked), WriteCondition.IfMatch(row.ETag!), ct).ConfigureAwait(false);
            }
            catch (StorageConflictException)
            {
                continue;
            }
            Remember(revoked);
            return true;
        }
    }

    /// <summary>Every key of a namespace as stored (ids and metadata; there are no secrets to list).</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string ns, CancellationToken ct)
    {
        var keys = new List<ApiKeyRecord>();
        await foreach (var row in _table.QueryAllAsync(RowQuery.Partition(Partition), ct: ct).ConfigureAwait(false))
        {
            if (Parse(row) is { } record && record.Namespace == ns) keys.Add(record);
        }
        keys.Sort(static (a, b) => a.CreatedAtMs.CompareTo(b.CreatedAtMs));
        return keys;
    }

    /// <summary>
    /// The valid key that <paramref name="token"/> is, or null for anything else (malformed, unknown, wrong secret,
    /// revoked). An unknown id is read from the table (at most <see cref="SecurityOptions.KeyMissReadsPerSecond"/>).
    /// </summary>
    public async ValueTask<ApiKeyRecord?> AuthenticateAsync(string token, CancellationToken ct = default)
    {
        if (!ApiKeyToken.TryParse(token, out var id, out _)) return null;
        if (!Volatile.Read(ref _keys).ContainsKey(id) && _missReads is not null && _missReads.TryTake(_time.GetTimestamp()) == 0)
        {
            var row = await _table.ReadAsync(Partition, id, ct).ConfigureAwait(false);
            if (row is not null && Parse(row) is { } record) Remember(record);
        }
        return Check(token);
    }

    /// <summary>The cached check alone (no storage): null unless the token is a valid, unrevoked key known here.</summary>
    public ApiKeyRecord? Check(string token)
    {
        if (!ApiKeyToken.TryParse(token, out var id, out var secret)) return null;
        if (!Volatile.Read(ref _keys).TryGetValue(id, out var record) || record.IsRevoked) return null;
        Span<byte> expected = stackalloc byte[32];
        Span<byte> actual = stackalloc byte[32];
        if (!Convert.TryFromBase64String(record.Hash, expected, out var written) || written != 32) return null;
        Hash(secret, actual);
        return CryptographicOperations.FixedTimeEquals(expected, actual) ? record : null;
    }

    /// <summary>Whether a key id is still valid here (a connection authenticated earlier re-checks this per request).</summary>
    public bool IsActive(string id) => Volatile.Read(ref _keys).TryGetValue(id, out var record) && !record.IsRevoked;

    /// <summary>Re-reads the whole table (single-flight: concurrent callers share one read).</summary>
    public async Task RefreshAsync(CancellationToken ct = default)
    {
        var started = _time.GetTimestamp();
        await _refreshing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _lastRefreshTicks) > started) return; // someone refreshed while we waited
            var keys = new Dictionary<string, ApiKeyRecord>(StringComparer.Ordinal);
            await foreach (var row in _table.QueryAllAsync(RowQuery.Partition(Partition), ct: ct).ConfigureAwait(false))
            {
                if (Parse(row) is { } record) keys[record.Id] = record;
            }
            lock (_writing)
            {
                // Keys are never deleted and never un-revoked, so what this silo learnt while the read ran (a key it
                // just created, a revocation it just wrote) wins over the older read.
                foreach (var (id, known) in Volatile.Read(ref _keys))
                {
                    if (!keys.TryGetValue(id, out var read) || (known.IsRevoked && !read.IsRevoked)) keys[id] = known;
                }
                Volatile.Write(ref _keys, keys);
            }
            Volatile.Write(ref _lastRefreshTicks, _time.GetTimestamp());
        }
        finally
        {
            _refreshing.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _refreshLoop.ConfigureAwait(false);
        _stopping.Dispose();
        _refreshing.Dispose();
    }

    internal string HashOf(ReadOnlySpan<char> secret)
    {
        Span<byte> hash = stackalloc byte[32];
        Hash(secret, hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>
    /// SHA-256 of the secret, or HMAC-SHA256 with the pepper. A slow hash (PBKDF2) buys nothing here: the secret is
    /// 256 random bits, not a password, and a fast hash keeps a request's check in the microseconds.
    /// </summary>
    private void Hash(ReadOnlySpan<char> secret, Span<byte> destination)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(secret.Length)];
        var length = Encoding.UTF8.GetBytes(secret, utf8);
        if (_pepper is null) SHA256.HashData(utf8[..length], destination);
        else HMACSHA256.HashData(_pepper, utf8[..length], destination);
    }

    private void Remember(ApiKeyRecord record)
    {
        // Copy-on-write: readers never lock. Key changes are rare (admin operations).
        lock (_writing)
        {
            var keys = new Dictionary<string, ApiKeyRecord>(Volatile.Read(ref _keys), StringComparer.Ordinal) { [record.Id] = record };
            Volatile.Write(ref _keys, keys);
        }
    }

    private async Task RefreshLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.KeyRefreshPeriod, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await RefreshAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Keep serving with the keys we have; the next tick tries again.
                    SecurityLog.KeyRefreshFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static StorageRow Row(ApiKeyRecord record) =>
        new(Partition, record.Id, JsonSerializer.SerializeToUtf8Bytes(record, ApiKeyJson.Default.ApiKeyRecord));

    private static ApiKeyRecord? Parse(StorageRow row)
    {
        try
        {
            return JsonSerializer.Deserialize(row.Data.Span, ApiKeyJson.Default.ApiKeyRecord);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
