using Comet.Abstractions.Errors;
using Comet.Samples.Tests.Support;
using Comet.Sandbox;

namespace Comet.Samples.Tests;

/// <summary>one_time_value, flexible_timeout, password_access and access_logging in the sandbox.</summary>
public sealed class SimpleValueSampleTests : IDisposable
{
    private readonly FakeClock _clock = new();
    private readonly AsoRuntime _runtime;
    private readonly FakeNeighbourhood _hood;

    public SimpleValueSampleTests()
    {
        _runtime = new AsoRuntime(new AsoSandboxOptions(), _clock);
        _hood = new FakeNeighbourhood(_runtime);
    }

    public void Dispose()
    {
        foreach (var r in _hood.Replicas.Values) r.Dispose();
        _runtime.Dispose();
    }

    // ---- one_time_value ----

    [Fact]
    public async Task One_time_value_returns_its_secret_on_the_first_get_and_deletes_itself()
    {
        var obj = _hood.Load("n1", Sample.Code("one_time_value"));
        await obj.OnPutAsync(Sample.Client()); // a plain REST put of the file: no args
        Assert.False(obj.DeleteRequested);

        var outcome = await obj.OnGetAsync(Sample.Client());
        Assert.Equal("The eagle lands at midnight.", outcome.Result.AsString());
        Assert.True(outcome.DeleteRequested);
        Assert.True(obj.DeleteRequested);
    }

    [Fact]
    public async Task One_time_value_takes_its_secret_from_put_args()
    {
        var obj = _hood.Load("n1", Sample.Code("one_time_value"));
        await obj.OnPutAsync(Sample.Client("""{"value":"pin 4711"}"""));
        Assert.Equal("pin 4711", (await obj.Get()).AsString());
    }

    [Fact]
    public async Task One_time_value_rejects_being_overwritten_but_accepts_a_delete()
    {
        var obj = _hood.Load("n1", Sample.Code("one_time_value"));
        await obj.OnPutAsync(Sample.Client());
        var e = await Sample.Fails(() => obj.PutValue("replacement"), CometErrorCode.Rejected);
        Assert.Contains("cannot be replaced", e.Message, StringComparison.Ordinal);

        var delete = await obj.OnUpdateAsync(Sample.Client(), Sample.Deleted);
        Assert.False(delete.Keep);
    }

    // ---- flexible_timeout ----

    [Fact]
    public async Task Flexible_timeout_sets_the_ttl_to_the_lifetime_chosen_in_the_put_args()
    {
        var obj = _hood.Load("n1", Sample.Code("flexible_timeout"));
        var start = _clock.NowMilliseconds();
        await obj.OnPutAsync(Sample.Client("""{"value":"short-lived","lifetime":30}"""));

        Assert.Equal(30, obj.TtlSeconds);
        Assert.Equal(1, obj.TimerPeriodSeconds);
        _clock.Advance(TimeSpan.FromSeconds(10));
        var got = await obj.Get();
        Assert.Equal("short-lived", got["value"].AsString());
        Assert.Equal(start + 30_000, got["expiresAt"].AsInt64());
        Assert.Equal(20_000, got["remaining"].AsInt64());
    }

    [Fact]
    public async Task Flexible_timeout_timer_deletes_the_object_only_after_its_lifetime()
    {
        var obj = _hood.Load("n1", Sample.Code("flexible_timeout"));
        await obj.OnPutAsync(Sample.Client("""{"value":"x","lifetime":5}"""));

        _clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False((await obj.OnTimerAsync()).DeleteRequested);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await obj.OnTimerAsync()).DeleteRequested);
    }

    [Fact]
    public async Task Flexible_timeout_passive_put_replaces_the_value_and_restarts_the_deadline()
    {
        var obj = _hood.Load("n1", Sample.Code("flexible_timeout"));
        await obj.OnPutAsync(Sample.Client("""{"value":"old","lifetime":5}"""));
        _clock.Advance(TimeSpan.FromSeconds(4));

        Assert.True(await obj.PutValue("new", """{"lifetime":60}"""));
        Assert.Equal(60, obj.TtlSeconds);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False((await obj.OnTimerAsync()).DeleteRequested);
        Assert.Equal("new", (await obj.Get())["value"].AsString());
    }

    // ---- password_access ----

    [Fact]
    public async Task Password_access_rejects_a_put_without_a_password()
    {
        var obj = _hood.Load("n1", Sample.Code("password_access"));
        var e = await Sample.Fails(async () => await obj.OnPutAsync(Sample.Client("""{"value":"v"}""")), CometErrorCode.Rejected);
        Assert.Contains("password is required", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Password_access_returns_the_value_only_for_the_right_password()
    {
        var obj = _hood.Load("n1", Sample.Code("password_access"));
        await obj.OnPutAsync(Sample.Client("""{"password":"open sesame","value":"treasure"}"""));

        Assert.Equal("treasure", (await obj.Get("""{"password":"open sesame"}""")).AsString());
        var wrong = await Sample.Fails(() => obj.Get("""{"password":"guess"}"""), CometErrorCode.HandlerError);
        Assert.Contains("access denied", wrong.Message, StringComparison.Ordinal);
        await Sample.Fails(() => obj.Get(), CometErrorCode.HandlerError);
    }

    [Fact]
    public async Task Password_access_stores_a_salted_hash_never_the_password()
    {
        var a = _hood.Load("n1", Sample.Code("password_access"), key: "alice");
        var b = _hood.Load("n2", Sample.Code("password_access"), key: "bob");
        await a.OnPutAsync(Sample.Client("""{"password":"hunter2","value":"v"}"""));
        await b.OnPutAsync(Sample.Client("""{"password":"hunter2","value":"v"}"""));

        var hashA = a.Data["hash"].AsString();
        Assert.Matches("^[0-9a-f]{8}$", hashA);
        Assert.DoesNotContain("hunter2", a.Data.ToJson(), StringComparison.Ordinal);
        Assert.NotEqual(hashA, b.Data["hash"].AsString()); // salted with the key
    }

    [Fact]
    public async Task Password_access_update_needs_the_password_and_then_replaces_the_value()
    {
        var obj = _hood.Load("n1", Sample.Code("password_access"));
        await obj.OnPutAsync(Sample.Client("""{"password":"pw","value":"v1"}"""));

        await Sample.Fails(() => obj.PutValue("evil"), CometErrorCode.Rejected);
        await Sample.Fails(() => obj.PutValue("evil", """{"password":"nope"}"""), CometErrorCode.Rejected);
        Assert.Equal("v1", (await obj.Get("""{"password":"pw"}""")).AsString());

        Assert.True(await obj.PutValue("v2", """{"password":"pw"}"""));
        Assert.Equal("v2", (await obj.Get("""{"password":"pw"}""")).AsString());
    }

    // ---- access_logging ----

    [Fact]
    public async Task Access_logging_records_ip_and_time_of_each_get_keeping_only_the_last_n()
    {
        var obj = _hood.Load("n1", Sample.Code("access_logging"));
        await obj.OnPutAsync(Sample.Client("""{"value":"report","max":3}"""));
        var times = new List<long>();
        for (var i = 1; i <= 5; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            times.Add(_clock.NowMilliseconds());
            Assert.Equal("report", (await obj.OnGetAsync(Sample.Client(ip: $"198.51.100.{i}"))).Result.AsString());
        }
        _clock.Advance(TimeSpan.FromSeconds(1));
        var result = (await obj.OnGetAsync(Sample.Client("""{"log":true}""", ip: "203.0.113.9"))).Result;

        Assert.Equal("report", result["value"].AsString());
        Assert.Equal(6, result["total"].AsInt64());
        var log = result["log"].ArrayPart;
        Assert.Equal(["198.51.100.4", "198.51.100.5", "203.0.113.9"], log.Select(e => e["ip"].AsString()));
        Assert.Equal([times[3], times[4], _clock.NowMilliseconds()], log.Select(e => e["time"].AsInt64()));
        Assert.Equal("client-7", log[0]["id"].AsString());
    }
}
