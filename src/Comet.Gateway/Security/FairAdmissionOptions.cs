namespace Comet.Gateway.Security;

/// <summary>
/// OpenDHT's fair storage admission: a put commits <c>bytes × lifetime</c> byte-seconds of this silo's storage. Per
/// <see cref="Window"/> the silo commits at most <see cref="BudgetPerSecond"/> × window; part of it
/// (<see cref="ReserveFraction"/>) is kept for clients new in the window so they can always store at a minimum rate,
/// and the rest is shared max-min fairly between the clients by what they asked for in the previous window. A client
/// within its share is always admitted; above it, only while nobody else's share is left unprotected.
/// Defaults are large enough that no test or benchmark meets them.
/// </summary>
public sealed class FairAdmissionOptions
{
    /// <summary>Turns admission control off entirely. Default true (on, with generous budgets).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Accounting period: usage resets and shares are recomputed at each window's end. Default 10 s.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Byte-seconds of storage this silo commits per second. Default 1e14 (~1 GB/s of values kept for a day).</summary>
    public double BudgetPerSecond { get; set; } = 1e14;

    /// <summary>Fraction of each window's budget held for clients that were not active in the previous window. Default 0.2.</summary>
    public double ReserveFraction { get; set; } = 0.2;

    /// <summary>
    /// Guaranteed byte-seconds per second for each client new in a window (OpenDHT's minimum rate), drawn from the
    /// reserve while it lasts. Default 1e12.
    /// </summary>
    public double MinimumClientRate { get; set; } = 1e12;

    /// <summary>Lifetime charged for a put that asks for none (it never expires). Default 1 day.</summary>
    public TimeSpan DefaultLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Bytes charged per put on top of its key and value (row and version overhead), so empty values are not free. Default 64.</summary>
    public int OverheadBytes { get; set; } = 64;

    /// <summary>Clients tracked at once; the least recent are forgotten past it (bounds memory under spoofed identities). Default 100,000.</summary>
    public int MaxClients { get; set; } = 100_000;

    internal void Validate()
    {
        if (Window <= TimeSpan.Zero) throw new ArgumentException("Security.Admission.Window must be positive.");
        if (!(BudgetPerSecond > 0)) throw new ArgumentException("Security.Admission.BudgetPerSecond must be positive.");
        if (ReserveFraction is < 0 or >= 1) throw new ArgumentException("Security.Admission.ReserveFraction must be in [0, 1).");
        if (MinimumClientRate < 0) throw new ArgumentException("Security.Admission.MinimumClientRate must not be negative.");
        if (DefaultLifetime <= TimeSpan.Zero) throw new ArgumentException("Security.Admission.DefaultLifetime must be positive.");
        if (OverheadBytes < 0) throw new ArgumentException("Security.Admission.OverheadBytes must not be negative.");
        if (MaxClients < 1) throw new ArgumentException("Security.Admission.MaxClients must be at least 1.");
    }
}
