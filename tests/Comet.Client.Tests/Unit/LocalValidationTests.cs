using Comet.Abstractions.Errors;
using FsCheck;
using FsCheck.Fluent;

namespace Comet.Client.Tests.Unit;

/// <summary>
/// Bad input fails in the client with the code a silo would answer, and nothing is sent: the client points at a closed
/// port (connecting in the background), where anything handed to the cluster fails with Unavailable instead, and its
/// request counter stays 0.
/// </summary>
public sealed class LocalValidationTests : IAsyncLifetime
{
    private CometClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = await CometClient.ConnectAsync(new CometClientOptions
        {
            Gateways = [ClosedPort.Gateway()],
            AbortOnConnectFail = false,
            Limits = { MaxValueBytes = 1024 * 1024, MaxCodeBytes = 64 * 1024 },
        });
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    private long RequestsSent => _client.Statistics.Requests;

    private async Task AssertRefusedLocally(CometErrorCode expected, Func<Task> call)
    {
        var error = await Assert.ThrowsAnyAsync<CometException>(call);
        Assert.Equal(expected, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.Equal(0, RequestsSent);
    }

    [Fact]
    public async Task A_valid_request_to_the_closed_port_reaches_the_network_and_fails_unavailable()
    {
        var error = await Assert.ThrowsAsync<CometException>(() => _client.PutAsync("key", "value").AsTask());

        Assert.Equal(CometErrorCode.Unavailable, error.Code);
        Assert.True(RequestsSent >= 1);
    }

    [Fact]
    public Task Empty_key_is_BadKey() => AssertRefusedLocally(CometErrorCode.BadKey, () => _client.PutAsync("", "v").AsTask());

    [Fact]
    public Task Key_over_1024_utf8_bytes_is_BadKey() =>
        AssertRefusedLocally(CometErrorCode.BadKey, () => _client.GetAsync(new string('é', 513)).AsTask());

    [Fact]
    public Task Key_with_an_unpaired_surrogate_is_BadKey() =>
        AssertRefusedLocally(CometErrorCode.BadKey, () => _client.DeleteAsync("bad\uD800key").AsTask());

    [Fact]
    public Task Bad_namespace_is_BadKey() =>
        AssertRefusedLocally(CometErrorCode.BadKey, () => _client.HistoryAsync("k", new HistoryOptions { Namespace = "Upper Case" }).AsTask());

    [Fact]
    public Task Value_over_1_MiB_is_TooLarge() =>
        AssertRefusedLocally(CometErrorCode.TooLarge, () => _client.PutAsync("k", new byte[(1024 * 1024) + 1]).AsTask());

    [Fact]
    public Task Code_over_64_KB_is_TooLarge() =>
        AssertRefusedLocally(CometErrorCode.TooLarge, () => _client.PutAsoAsync("k", "-- " + new string('x', 64 * 1024)).AsTask());

    [Fact]
    public Task Empty_code_is_BadCode() => AssertRefusedLocally(CometErrorCode.BadCode, () => _client.PutAsoAsync("k", "  \n").AsTask());

    [Fact]
    public Task Lua_bytecode_is_BadCode() => AssertRefusedLocally(CometErrorCode.BadCode, () => _client.PutAsoAsync("k", "\u001bLuaT\0\u0019").AsTask());

    [Fact]
    public Task Write_quorum_larger_than_n_is_BadRequest() =>
        AssertRefusedLocally(CometErrorCode.BadRequest, () => _client.PutAsync("k", "v", new PutOptions { N = 2, W = 3 }).AsTask());

    [Fact]
    public Task Read_quorum_larger_than_n_is_BadRequest() =>
        AssertRefusedLocally(CometErrorCode.BadRequest, () => _client.GetAsync("k", new GetOptions { N = 1, R = 2 }).AsTask());

    [Fact]
    public Task Zero_replicas_is_BadRequest() =>
        AssertRefusedLocally(CometErrorCode.BadRequest, () => _client.PutAsync("k", "v", new PutOptions { N = 0 }).AsTask());

    [Fact]
    public Task Zero_ttl_is_BadRequest() =>
        AssertRefusedLocally(CometErrorCode.BadRequest, () => _client.PutAsync("k", "v", new PutOptions { TtlSeconds = 0 }).AsTask());

    [Fact]
    public Task Args_that_are_not_a_json_object_are_BadRequest() =>
        AssertRefusedLocally(CometErrorCode.BadRequest, () => _client.GetAsync("k", new GetOptions { ArgsJson = "[1,2]" }).AsTask());

    [Fact]
    public Task Args_that_are_not_json_are_BadRequest() =>
        AssertRefusedLocally(CometErrorCode.BadRequest, () => _client.GetAsync("k", new GetOptions { ArgsJson = "{password:" }).AsTask());

    [Fact]
    public Task Args_and_ArgsJson_together_are_BadRequest() =>
        AssertRefusedLocally(CometErrorCode.BadRequest, () => _client.GetAsync("k", new GetOptions { Args = new { a = 1 }, ArgsJson = "{}" }).AsTask());

    [Fact]
    public Task Args_object_serialising_to_a_json_string_is_BadRequest() =>
        AssertRefusedLocally(CometErrorCode.BadRequest, () => _client.GetAsync("k", new GetOptions { Args = "just text" }).AsTask());

    [Fact]
    public Task A_context_token_the_store_did_not_issue_is_BadRequest() =>
        AssertRefusedLocally(CometErrorCode.BadRequest, () => _client.PutAsync("k", "v", new PutOptions { Context = "!!not a token!!" }).AsTask());

    [Fact]
    public Task A_malformed_version_id_is_BadRequest() =>
        AssertRefusedLocally(CometErrorCode.BadRequest, () => _client.GetAsync("k", new GetOptions { Version = "latest" }).AsTask());

    [Fact]
    public async Task Validation_errors_come_out_of_the_await_not_the_call()
    {
        var pending = _client.PutAsync("", "v");

        Assert.True(pending.IsFaulted);
        await Assert.ThrowsAsync<CometException>(() => pending.AsTask());
    }
}

/// <summary>The size limit is exactly the configured one: one byte over is refused locally, at or under it goes to the network.</summary>
public sealed class ValueLimitPropertyTests
{
    private const int Limit = 64;

    [Fact]
    public async Task A_value_is_refused_locally_exactly_when_it_exceeds_the_limit()
    {
        await using var client = await CometClient.ConnectAsync(new CometClientOptions
        {
            Gateways = [ClosedPort.Gateway()],
            AbortOnConnectFail = false,
            Limits = { MaxValueBytes = Limit },
        });

        var property = Prop.ForAll(Gen.Choose(0, 2 * Limit).ToArbitrary(), length =>
        {
            var error = Assert.ThrowsAny<CometException>(() => client.PutAsync("k", new byte[length]).AsTask().GetAwaiter().GetResult());
            return error.Code == (length > Limit ? CometErrorCode.TooLarge : CometErrorCode.Unavailable);
        });
        // FsCheck runs properties synchronously: keep it off xunit's synchronization context.
        await Task.Run(() => Check.QuickThrowOnFailure(property));
    }
}
