using Comet.Abstractions.Errors;

namespace Comet.Storage.Azure;

/// <summary>
/// The parts of an Azure Storage connection string the Table provider needs: the table endpoint
/// and, for Shared Key, the account name and key. Understands <c>UseDevelopmentStorage=true</c>
/// (Azurite's well-known account) and <c>DefaultEndpointsProtocol</c>/<c>AccountName</c>/
/// <c>AccountKey</c>/<c>TableEndpoint</c>/<c>EndpointSuffix</c>.
/// </summary>
public sealed record AzureStorageConnectionString(Uri TableEndpoint, string AccountName, string? AccountKey)
{
    /// <summary>Azurite's (and the old emulator's) fixed account; its key is public by design.</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    /// <summary>The published key of <see cref="DevelopmentAccountName"/>: not a secret.</summary>
    public const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>Azurite's default table endpoint (path-style: the account is the first path segment).</summary>
    public static readonly Uri DevelopmentTableEndpoint = new("http://127.0.0.1:10002/devstoreaccount1");

    /// <summary>Parses a connection string; throws BadRequest naming what is missing or wrong.</summary>
    public static AzureStorageConnectionString Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                throw Bad($"the part '{Redact(part)}' is not Name=Value");
            // Keys end in '=' padding, so split at the first '=' only.
            parts[part[..equals].Trim()] = part[(equals + 1)..].Trim();
        }

        if (parts.TryGetValue("UseDevelopmentStorage", out var dev) && dev.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            var endpoint = DevelopmentTableEndpoint;
            if (parts.TryGetValue("DevelopmentStorageProxyUri", out var proxy))
                endpoint = new Uri(new Uri(proxy), "/" + DevelopmentAccountName);
            return new(endpoint, DevelopmentAccountName, DevelopmentAccountKey);
        }

        parts.TryGetValue("AccountName", out var account);
        parts.TryGetValue("AccountKey", out var key);
        Uri? table = null;
        if (parts.TryGetValue("TableEndpoint", out var explicitEndpoint))
        {
            if (!Uri.TryCreate(explicitEndpoint, UriKind.Absolute, out table))
                throw Bad($"TableEndpoint '{explicitEndpoint}' is not an absolute URI");
        }
        else if (!string.IsNullOrEmpty(account))
        {
            var protocol = parts.GetValueOrDefault("DefaultEndpointsProtocol", "https");
            var suffix = parts.GetValueOrDefault("EndpointSuffix", "core.windows.net");
            table = new Uri($"{protocol}://{account}.table.{suffix}");
        }
        if (table is null)
            throw Bad("it names neither TableEndpoint nor AccountName");

        account ??= AccountNameOf(table);
        if (string.IsNullOrEmpty(account))
            throw Bad("the account name is missing: add AccountName=");
        if (key is not null && !IsBase64(key))
            throw Bad("AccountKey is not Base64");
        return new(table, account, key);
    }

    /// <summary>
    /// The account of an endpoint: the first host label (<c>myaccount.table.core.windows.net</c>), or
    /// the first path segment for path-style endpoints (Azurite: <c>http://127.0.0.1:10002/devstoreaccount1</c>).
    /// </summary>
    public static string AccountNameOf(Uri tableEndpoint)
    {
        ArgumentNullException.ThrowIfNull(tableEndpoint);
        if (IsPathStyle(tableEndpoint))
            return tableEndpoint.AbsolutePath.Trim('/').Split('/')[0];
        return tableEndpoint.Host.Split('.')[0];
    }

    /// <summary>IP addresses and localhost carry the account in the path, as Azurite does.</summary>
    public static bool IsPathStyle(Uri endpoint) =>
        endpoint.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
        || endpoint.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>Never echo keys in errors.</summary>
    private static string Redact(string part) => part.Length > 12 ? part[..12] + "…" : part;

    private static bool IsBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out _);
    }

    private static CometException Bad(string what) =>
        new(CometErrorCode.BadRequest, $"The Azure Storage connection string is invalid: {what}. Use 'UseDevelopmentStorage=true' or 'DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net'.");

    /// <summary>Keeps the key out of logs.</summary>
    public override string ToString() => $"{TableEndpoint} (account {AccountName}{(AccountKey is null ? "" : ", key set")})";
}
