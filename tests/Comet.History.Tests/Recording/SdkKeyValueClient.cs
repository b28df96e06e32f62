using Comet.Abstractions.Errors;
using Comet.Client;
using Comet.History.Tests.Checking;

namespace Comet.History.Tests.Recording;

/// <summary>A client through the .NET SDK (<see cref="CometClient"/>, an Orleans cluster client over the silos' gateways).</summary>
internal sealed class SdkKeyValueClient(string name, CometClient client, RecordedHistory history, RunClock clock) : IKeyValueClient
{
    private const string Via = "sdk";

    public string Name { get; } = name;

    public async Task<ReadOp> ReadAsync(string key, CancellationToken ct)
    {
        var id = history.NextId();
        var start = clock.Now;
        try
        {
            var got = await client.GetAsync(key, new GetOptions { N = 3, R = 2 }, ct);
            var values = got.Versions.Select(v => v.AsString()).ToList();
            return Record(new ReadOp(id, Name, key, Via, start, clock.Now, values.Count > 1 ? 300 : 200, Outcome.Ok, values, got.Context, ""));
        }
        catch (CometException ex) when (ex.Code == CometErrorCode.NotFound)
        {
            return Record(new ReadOp(id, Name, key, Via, start, clock.Now, 404, Outcome.Ok, [], ex.Context, ""));
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            var (status, outcome, cause) = Classify(ex);
            return Record(new ReadOp(id, Name, key, Via, start, clock.Now, status, outcome, [], null, cause));
        }
    }

    public async Task<WriteOp> WriteAsync(string key, string value, ReadOp? read, CancellationToken ct)
    {
        var id = history.NextId();
        var start = clock.Now;
        var context = read?.Context;
        try
        {
            var put = await client.PutAsync(key, value, new PutOptions { N = 3, W = 2, Context = context }, ct);
            return Record(new WriteOp(id, Name, key, Via, start, clock.Now, value, read?.Id, context, put.Created ? 201 : 200, Outcome.Ok, ""));
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            var (status, outcome, cause) = Classify(ex);
            return Record(new WriteOp(id, Name, key, Via, start, clock.Now, value, read?.Id, context, status, outcome, cause));
        }
    }

    private ReadOp Record(ReadOp op)
    {
        history.Add(op);
        return op;
    }

    private WriteOp Record(WriteOp op)
    {
        history.Add(op);
        return op;
    }

    /// <summary>
    /// The SDK's typed errors, as the REST gateway would answer them: the client's own mistakes and the object's refusals
    /// are 4xx (nothing was stored); quorum, timeout, unavailable and internal errors are 5xx (it may have been).
    /// </summary>
    private static (int Status, Outcome Outcome, string Cause) Classify(Exception ex)
    {
        if (ex is not CometException comet) return (0, Outcome.Indeterminate, "sdk " + ex.GetType().Name);
        var status = comet.Code switch
        {
            CometErrorCode.BadRequest or CometErrorCode.BadKey or CometErrorCode.BadCode or CometErrorCode.MalformedFrame => 400,
            CometErrorCode.Unauthorized => 401,
            CometErrorCode.Forbidden => 403,
            CometErrorCode.NotFound or CometErrorCode.UnknownNamespace => 404,
            CometErrorCode.Rejected or CometErrorCode.Conflict => 409,
            CometErrorCode.TooLarge => 413,
            CometErrorCode.HandlerError or CometErrorCode.InstructionLimit or CometErrorCode.MemoryLimit or CometErrorCode.TimeLimit => 422,
            CometErrorCode.RateLimited => 429,
            CometErrorCode.Timeout => 504,
            CometErrorCode.QuorumNotReached or CometErrorCode.Unavailable => 503,
            _ => 500,
        };
        return (status, status < 500 ? Outcome.Failed : Outcome.Indeterminate, $"sdk {comet.Code}");
    }
}
