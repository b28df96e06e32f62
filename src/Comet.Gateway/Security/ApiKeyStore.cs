using System.Security.Cryptography;
using System.Text;
using Comet.Abstractions.Errors;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Comet.Gateway.Security;

/// <summary>
/// This silo's copy of the API keys of every namespace (<see cref="IApiKeyRegistryGrain"/>),
/// refreshed every <see cref="SecurityOptions.KeyRefreshPeriod"/> so a revocation anywhere takes
/// effect everywhere within seconds. Checking a key is a dictionary lookup plus one hash; it
/// never waits on the registry unless the id is unknown here.
/// </summary>
public sealed class ApiKeyStore : BackgroundService
{
    private readonly IGrainFactory _grains;
    private readonly SecurityOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly byte[]? _pepper;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly TokenBucket? _missReads;
    private Dictionary<string, ApiKeyRecord> _keys = new(StringComparer.Ordinal);
    private long _version = -1;
    private long _lastRefreshTicks;

    public ApiKeyStore(IGrainFactory grains, IOptions<SecurityOptions> options, TimeProvider time, ILogger<ApiKeyStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _grains = grains;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _pepper = string.IsNullOrEmpty(_options.KeyPepper) ? null : Encoding.UTF8.GetBytes(_options.KeyPepper);
        _missReads = _options.KeyMissReadsPerSecond > 0
            ? new TokenBucket(_options.KeyMissReadsPerSecond, Math.Max(1, _options.KeyMissReadsPerSecond), time.GetTimestamp(), time.TimestampFrequency)
            : null;
    }

    private IApiKeyRegistryGrain Registry => _grains.GetGrain<IApiKeyRegistryGrain>(IApiKeyRegistryGrain.Key);

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
            if (!await Registry.AddAsync(record).WaitAsync(ct).ConfigureAwait(false)) continue; // 64-bit id collision: draw again
            Remember(record);
            return new CreatedApiKey(record, ApiKeyToken.Format(id, secret));
        }
    }

    /// <summary>Marks a key revoked. False when <paramref name="ns"/> has no such key.</summary>
    public async Task<bool> RevokeAsync(string ns, string id, CancellationToken ct)
    {
        var revoked = await Registry.RevokeAsync(ns, id, _time.GetUtcNow().ToUnixTimeMilliseconds()).WaitAsync(ct).ConfigureAwait(false);
        if (revoked is null) return false;
        Remember(revoked);
        return true;
    }

    /// <summary>Every key of a namespace (ids and metadata; there are no secrets to list).</summary>
    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string ns, CancellationToken ct) => Registry.ListAsync(ns).WaitAsync(ct);

    /// <summary>
    /// The valid key that <paramref name="token"/> is, or null for anything else (malformed, unknown, wrong secret,
    /// revoked). An unknown id makes this silo re-read the keys (at most <see cref="SecurityOptions.KeyMissReadsPerSecond"/>).
    /// </summary>
    public async ValueTask<ApiKeyRecord?> AuthenticateAsync(string token, CancellationToken ct = default)
    {
        if (!ApiKeyToken.TryParse(token, out var id, out _)) return null;
        if (!Volatile.Read(ref _keys).ContainsKey(id) && _missReads is not null && _missReads.TryTake(_time.GetTimestamp()) == 0)
            await RefreshAsync(ct).ConfigureAwait(false);
        return Check(token);
    }

    /// <summary>The cached check alone: null unless the token is a valid, unrevoked key known here.</summary>
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

    /// <summary>Whether a key id is still valid here.</summary>
    public bool IsActive(string id) => Volatile.Read(ref _keys).TryGetValue(id, out var record) && !record.IsRevoked;

    /// <summary>Asks the registry for changes (single-flight: concurrent callers share one call).</summary>
    public async Task RefreshAsync(CancellationToken ct = default)
    {
        var started = _time.GetTimestamp();
        await _refreshing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _lastRefreshTicks) > started) return; // someone refreshed while we waited
            var changes = await Registry.ChangesSinceAsync(Volatile.Read(ref _version)).WaitAsync(ct).ConfigureAwait(false);
            if (changes is not null)
            {
                var keys = new Dictionary<string, ApiKeyRecord>(changes.Keys.Count, StringComparer.Ordinal);
                foreach (var key in changes.Keys) keys[key.Id] = key;
                Volatile.Write(ref _keys, keys);
                Volatile.Write(ref _version, changes.Version);
            }
            Volatile.Write(ref _lastRefreshTicks, _time.GetTimestamp());
        }
        finally
        {
            _refreshing.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.KeyRefreshPeriod, _time);
        try
        {
            do
            {
                try
                {
                    await RefreshAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Keep serving with the keys we have (none yet while the silo starts); the next tick tries again.
                    SecurityLog.KeyRefreshFailed(_logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override void Dispose()
    {
        _refreshing.Dispose();
        base.Dispose();
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
        // Copy-on-write: readers never lock. Key changes are rare (admin operations); the next refresh confirms them.
        while (true)
        {
            var current = Volatile.Read(ref _keys);
            var keys = new Dictionary<string, ApiKeyRecord>(current, StringComparer.Ordinal) { [record.Id] = record };
            if (Interlocked.CompareExchange(ref _keys, keys, current) == current) return;
        }
    }
}
