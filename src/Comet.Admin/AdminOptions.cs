namespace Comet.Admin;

/// <summary>The admin API's settings (section <c>Comet:Silo:Admin</c>).</summary>
public sealed class AdminOptions
{
    /// <summary>
    /// The key that guards <c>/admin</c>, <c>/metrics</c> and the Orleans Dashboard (header <c>X-Comet-Admin-Key</c>,
    /// <c>Authorization: Bearer</c>, or a Basic password for browsers). Null: only dev mode on loopback gets in.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>Dead silos stay in <c>GET /admin/cluster</c> this long after their last heartbeat (all of them with <c>?all=true</c>).</summary>
    public TimeSpan DeadSilosShownFor { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a call to another silo (its figures, a drain or a stop) may take before the answer says it did not answer.</summary>
    public TimeSpan PeerTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a drain forwarded to another silo waits to see that silo leave the membership before answering 202.</summary>
    public TimeSpan DrainWait { get; set; } = TimeSpan.FromSeconds(30);

    public void Validate()
    {
        if (DeadSilosShownFor < TimeSpan.Zero) throw new ArgumentException("Comet:Silo:Admin:DeadSilosShownFor must not be negative.");
        if (PeerTimeout <= TimeSpan.Zero || DrainWait <= TimeSpan.Zero)
            throw new ArgumentException("Comet:Silo:Admin:PeerTimeout and DrainWait must be positive.");
    }
}
