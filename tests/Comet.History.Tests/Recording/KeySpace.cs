using System.Collections.Concurrent;

namespace Comet.History.Tests.Recording;

/// <summary>
/// The keys the clients work on: a small set (<see cref="KeysPerGeneration"/>) replaced by a fresh one every
/// <see cref="GenerationPeriod"/>, so that concurrent first writes to new keys (issue 14's lost writes) happen all
/// through a run, not only at its start. One key in <see cref="BlindEvery"/> of each generation gets a blind first
/// write (a put without any context) from whichever client picks it first.
/// </summary>
internal sealed class KeySpace(string prefix, int keysPerGeneration, TimeSpan generationPeriod, RunClock clock)
{
    private readonly TimeSpan _opened = clock.Now;
    private readonly ConcurrentDictionary<string, bool> _blindClaimed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _used = new(StringComparer.Ordinal);

    public const int BlindEvery = 8;

    public int KeysPerGeneration { get; } = keysPerGeneration;

    public TimeSpan GenerationPeriod { get; } = generationPeriod;

    /// <summary>Every key handed out so far.</summary>
    public IReadOnlyCollection<string> Used => [.. _used.Keys];

    public string Pick(Random random)
    {
        var generation = (int)((clock.Now - _opened) / GenerationPeriod);
        var key = $"{prefix}-g{generation}-k{random.Next(KeysPerGeneration)}";
        _used.TryAdd(key, true);
        return key;
    }

    /// <summary>True once per blind key of a generation: the caller writes it blind instead of reading it first.</summary>
    public bool ClaimBlindWrite(string key) =>
        int.Parse(key[(key.LastIndexOf('k') + 1)..], System.Globalization.CultureInfo.InvariantCulture) % BlindEvery == 0 && _blindClaimed.TryAdd(key, true);
}
