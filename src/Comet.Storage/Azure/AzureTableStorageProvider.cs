using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Comet.Storage.Azure;

/// <summary>
/// Tables in Azure Table storage (or Azurite), reached through a small REST client on Azure.Core's
/// HTTP pipeline: Shared Key signing from a connection string, or a token credential (managed
/// identity) with no keys. Rows map to entities as <see cref="RowLayout"/> describes; keys are
/// escaped by <see cref="TableKeyCodec"/>. Every write has completed at Azure when its task
/// completes, so disposing has nothing to flush.
/// </summary>
public sealed class AzureTableStorageProvider : IStorageProvider
{
    /// <summary>
    /// Largest total row data of one batch: Azure caps a $batch body at 4 MiB, and Base64 makes
    /// data 4/3 larger, which leaves ~3 MiB; 2.75 MiB keeps room for 100 requests' headers.
    /// </summary>
    public const int MaxBatchDataBytes = 2816 * 1024;

    /// <summary>The OAuth scope of Azure Storage data-plane tokens.</summary>
    public const string StorageScope = "https://storage.azure.com/.default";

    private readonly ConcurrentDictionary<string, Lazy<Task<AzureTable>>> tables = new(StringComparer.OrdinalIgnoreCase);
    private readonly TableRestClient client;
    private readonly string tablePrefix;
    private volatile bool disposed;

    /// <summary>Connects as <paramref name="options"/> say; nothing is sent until a table is opened.</summary>
    public AzureTableStorageProvider(AzureTableStorageOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Limits = options.Limits.Snapshot();
        tablePrefix = options.TableNamePrefix ?? "";
        var time = timeProvider ?? TimeProvider.System;

        var clientOptions = new TableClientOptions();
        clientOptions.Retry.MaxRetries = options.MaxRetries;
        clientOptions.Retry.Delay = options.RetryDelay;
        clientOptions.Retry.MaxDelay = options.MaxRetryDelay;
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.NetworkTimeout = options.NetworkTimeout;

        Uri endpoint;
        HttpPipelinePolicy authentication;
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            var connection = AzureStorageConnectionString.Parse(options.ConnectionString);
            endpoint = connection.TableEndpoint;
            if (connection.AccountKey is not null)
            {
                authentication = new SharedKeyPolicy(new SharedKeySignature(connection.AccountName, connection.AccountKey), time);
            }
            else
            {
                authentication = new BearerTokenAuthenticationPolicy(
                    options.Credential ?? throw new InvalidOperationException("The connection string has no AccountKey; give a token credential too."),
                    StorageScope);
            }
        }
        else
        {
            endpoint = options.TableEndpoint!;
            authentication = new BearerTokenAuthenticationPolicy(options.Credential!, StorageScope);
        }
        Endpoint = endpoint;
        var pipeline = HttpPipelineBuilder.Build(clientOptions, [], [authentication], new ResponseClassifier());
        client = new TableRestClient(endpoint, pipeline);
    }

    /// <inheritdoc />
    public string Name => "AzureTable";

    /// <inheritdoc />
    public StorageLimits Limits { get; }

    /// <summary>The table endpoint this provider talks to.</summary>
    public Uri Endpoint { get; }

    /// <inheritdoc />
    public async ValueTask<IStorageTable> OpenTableAsync(string tableName, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        RequestChecks.CheckTableName(tableName);
        if (tablePrefix.Length > 0)
            RequestChecks.CheckTableName(tablePrefix + tableName);
        ct.ThrowIfCancellationRequested();
        var lazy = tables.GetOrAdd(tableName, name => new Lazy<Task<AzureTable>>(() => CreateAsync(name)));
        try
        {
            return await lazy.Value.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Let the next open try again rather than remember a transient failure.
            tables.TryRemove(new KeyValuePair<string, Lazy<Task<AzureTable>>>(tableName, lazy));
            throw;
        }
    }

    private async Task<AzureTable> CreateAsync(string name)
    {
        var azureName = tablePrefix + name;
        await client.CreateTableAsync(azureName, CancellationToken.None).ConfigureAwait(false);
        return new AzureTable(name, azureName, client, Limits);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        disposed = true;
        tables.Clear();
        return ValueTask.CompletedTask;
    }

    /// <summary>The pipeline's options: retries, timeouts, diagnostics.</summary>
    private sealed class TableClientOptions : ClientOptions;
}
