using Comet.Abstractions.Errors;
using Comet.Sandbox;

namespace Comet.Sandbox.Tests.Support;

/// <summary>Builds sandboxed objects for tests and runs their handlers.</summary>
internal static class Asos
{
    public static readonly AsoRuntime Default = new(new AsoSandboxOptions());

    public static AsoContext Context(string code, string key = "key-1") => new("tests", key, "n1", "10.0.0.1", code);

    public static AsoObject Load(string code, IAsoNeighbours? neighbours = null, AsoRuntime? runtime = null, byte[]? state = null, string key = "key-1")
        => (runtime ?? Default).Load(Context(code, key), code, state ?? [], neighbours ?? new FakeNeighbours());

    public static AsoRuntime Runtime(Action<AsoSandboxOptions> configure, IAsoClock? clock = null)
    {
        var options = new AsoSandboxOptions();
        configure(options);
        return new AsoRuntime(options, clock);
    }

    public static AsoCaller Client(AsoValue? args = null) => new("192.0.2.7", "client-7", null, args);

    public static AsoCaller FromNode(string node = "n2") => new("10.0.0.2", "silo", node, null);

    /// <summary>Runs onGet and returns its result.</summary>
    public static async Task<AsoValue> Get(this AsoObject obj, AsoCaller? caller = null) =>
        (await obj.OnGetAsync(caller ?? Client())).Result;

    /// <summary>Runs a handler expected to fail and returns the exception.</summary>
    public static async Task<AsoException> Fails(Func<Task> call, CometErrorCode code)
    {
        var e = await Assert.ThrowsAsync<AsoException>(call);
        Assert.True(e.Code == code, $"Expected {code} but got {e.Code}: {e.Message}");
        return e;
    }

    public static Task<AsoException> FailsGet(this AsoObject obj, CometErrorCode code, AsoCaller? caller = null) =>
        Fails(async () => await obj.OnGetAsync(caller ?? Client()), code);
}
