using Comet.Abstractions.Errors;
using Comet.Sandbox;

namespace Comet.Samples.Tests.Support;

/// <summary>Loads the sample ASOs (copied next to the tests as asos/&lt;name&gt;.lua) and drives them like the grid does.</summary>
internal static class Sample
{
    public static string Code(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "asos", name + ".lua"));

    public static AsoValue Args(string json) => AsoJson.Parse(json);

    public static AsoCaller Client(string? argsJson = null, string ip = "192.0.2.7", string id = "client-7") =>
        new(ip, id, null, argsJson is null ? null : Args(argsJson));

    /// <summary>What onUpdate sees for a passive-value put: {value = bytes}.</summary>
    public static AsoValue PassiveValue(string value) => AsoValue.Table((AsoValue.FromString("value"), AsoValue.FromString(value)));

    /// <summary>What onUpdate sees for a delete.</summary>
    public static AsoValue Deleted { get; } = AsoValue.Table((AsoValue.FromString("deleted"), AsoValue.True));

    public static async Task<AsoValue> Get(this AsoObject obj, string? argsJson = null) => (await obj.OnGetAsync(Client(argsJson))).Result;

    /// <summary>A passive put of <paramref name="value"/> with args to a key holding <paramref name="obj"/>; true when absorbed ("keep").</summary>
    public static async Task<bool> PutValue(this AsoObject obj, string value, string? argsJson = null) =>
        (await obj.OnUpdateAsync(Client(argsJson), PassiveValue(value))).Keep;

    public static async Task<AsoException> Fails(Func<Task> call, CometErrorCode code)
    {
        var e = await Assert.ThrowsAsync<AsoException>(call);
        Assert.True(e.Code == code, $"Expected {code} but got {e.Code}: {e.Message}");
        return e;
    }

    public static List<string> Strings(AsoValue array) => array.ArrayPart.Select(v => v.AsString()).ToList();
}
