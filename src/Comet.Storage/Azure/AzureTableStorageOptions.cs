using Azure.Core;

namespace Comet.Storage.Azure;

/// <summary>
/// How to reach Azure Table storage: a connection string (Shared Key: Azurite, or an account
/// key), or a table endpoint plus a token credential (managed identity: no keys in configuration).
/// Bound from <c>Comet:Storage</c>; <see cref="Validate"/> at start-up.
/// </summary>
public sealed class AzureTableStorageOptions
{
    /// <summary>A storage connection string (<c>UseDevelopmentStorage=true</c> for Azurite); wins over <see cref="TableEndpoint"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The account's table endpoint, e.g. <c>https://myaccount.table.core.windows.net</c>, used with <see cref="Credential"/>.</summary>
    public Uri? TableEndpoint { get; set; }

    /// <summary>The token credential for <see cref="TableEndpoint"/> (for example a ManagedIdentityCredential); not bound from configuration.</summary>
    public TokenCredential? Credential { get; set; }

    /// <summary>
    /// Put in front of every table name (ASCII letters and digits, starting with a letter), so several
    /// clusters, or test runs, can share one storage account without seeing each other's rows.
    /// </summary>
    public string? TableNamePrefix { get; set; }

    /// <summary>Retries of a failed request (throttling, timeouts, 5xx), with exponential back-off.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>First retry delay; later ones double up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest delay between retries.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one attempt may take before it is abandoned and retried.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Limits to enforce; Azure caps batches at about 2.75 MiB of data (the $batch body is 4 MiB of Base64).</summary>
    public StorageLimits Limits { get; set; } = new() { MaxBatchBytes = AzureTableStorageProvider.MaxBatchDataBytes };

    /// <summary>Throws if the options cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) && (TableEndpoint is null || Credential is null))
            throw new InvalidOperationException("Azure Table storage needs Comet:Storage:AzureConnectionString, or Comet:Storage:AzureTableEndpoint with a token credential (managed identity).");
        if (TableEndpoint is { IsAbsoluteUri: false })
            throw new InvalidOperationException($"AzureTableEndpoint '{TableEndpoint}' must be an absolute URI.");
        if (MaxRetries is < 0 or > 20)
            throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "MaxRetries must be 0..20.");
        if (RetryDelay <= TimeSpan.Zero || MaxRetryDelay < RetryDelay)
            throw new ArgumentOutOfRangeException(nameof(RetryDelay), RetryDelay, "RetryDelay must be positive and at most MaxRetryDelay.");
        if (NetworkTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(NetworkTimeout), NetworkTimeout, "NetworkTimeout must be positive.");
        if (!string.IsNullOrEmpty(TableNamePrefix) && (!char.IsAsciiLetter(TableNamePrefix[0]) || !TableNamePrefix.All(char.IsAsciiLetterOrDigit) || TableNamePrefix.Length > 40))
            throw new ArgumentOutOfRangeException(nameof(TableNamePrefix), TableNamePrefix, "TableNamePrefix must be 1..40 ASCII letters and digits, starting with a letter.");
        ArgumentNullException.ThrowIfNull(Limits);
        Limits.Validate();
        if (Limits.MaxBatchBytes > AzureTableStorageProvider.MaxBatchDataBytes)
            throw new ArgumentOutOfRangeException(nameof(Limits), Limits.MaxBatchBytes, $"Azure's $batch body limit allows at most {AzureTableStorageProvider.MaxBatchDataBytes} bytes of data (Limits.MaxBatchBytes).");
    }
}
