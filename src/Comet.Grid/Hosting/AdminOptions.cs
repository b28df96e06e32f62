namespace Comet.Grid.Hosting;

/// <summary>How the admin API and dashboard on a silo's HTTP port are guarded (section <c>Comet:Silo:Admin</c>).</summary>
public sealed class AdminOptions
{
    /// <summary>
    /// The admin key: requests to <c>/admin</c> and <c>/metrics</c> send it as header
    /// <c>X-Comet-Admin-Key</c> or <c>Authorization: Bearer</c>. Unset: only anonymous callers on
    /// loopback in dev mode get in, and nobody else. Give every silo of a cluster the same key
    /// (a silo's admin API calls the others' with the caller's key).
    /// </summary>
    public string? Key { get; set; }
}
