using System.Globalization;
using System.Net;
using System.Text;
using Comet.Gateway.Tests.Support;

namespace Comet.Gateway.Tests;

/// <summary>
/// Classes 3 and 4 of the sandbox robustness issue, through the real REST gateway: every value a
/// caller or an object supplies gets a typed 4xx that says what to fix (never a 5xx), and no put
/// is acknowledged that will not be stored.
/// </summary>
[Collection(RestCollection.Name)]
public sealed class AsoInputBoundaryTests(RestClusterFixture fixture)
{
    private const string Ns = RestClusterFixture.Open;
    private const string EchoArgs = "function aso:onGet(caller) return caller.args end";

    private static string Args(string json) => "args=" + Uri.EscapeDataString(json);

    [Theory]
    [InlineData("{\"a\":\"\\udc00\"}")]
    [InlineData("{\"a\":\"\\ud800x\"}")]
    [InlineData("{\"a\":[\"ok\",\"\\ud83d\"]}")]
    [InlineData("{\"\\udc00\":1}")]
    public async Task Args_with_a_lone_surrogate_get_400_that_says_what_to_fix(string json)
    {
        var key = ClusterFixture.NewKey("surrogate");
        using (var put = await fixture.Http.PutAsoAsync(Ns, key, EchoArgs)) await RestCalls.ExpectAsync(put, HttpStatusCode.Created);

        using var get = await fixture.Http.GetAsync(Ns, key, query: Args(json));

        var message = await RestCalls.ExpectErrorAsync(get, HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains("surrogate", message);
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("1e7")]
    [InlineData("1/0")]
    public async Task A_timer_period_no_timer_can_hold_is_refused_at_the_put_and_nothing_is_stored(string period)
    {
        var key = ClusterFixture.NewKey("period");

        using var put = await fixture.Http.PutAsoAsync(Ns, key, $"aso.timerPeriod = {period} function aso:onTimer() end");

        var message = await RestCalls.ExpectErrorAsync(put, HttpStatusCode.BadRequest, "BadCode");
        Assert.Contains("timerPeriod", message);
        using var get = await fixture.Http.GetAsync(Ns, key);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task A_timer_period_raised_by_a_handler_past_the_maximum_is_clamped_and_the_object_keeps_answering()
    {
        var key = ClusterFixture.NewKey("period-later");
        using (var put = await fixture.Http.PutAsoAsync(Ns, key, "aso.value = 'ok' aso.timerPeriod = 60 function aso:onTimer() end function aso:onPut() self.timerPeriod = 1e300 end"))
            await RestCalls.ExpectAsync(put, HttpStatusCode.Created);

        Assert.Equal("\"ok\"", await ReadBodyAsync(key));
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("9.3e15")]
    [InlineData("1/0")]
    public async Task A_huge_ttl_is_clamped_so_an_acknowledged_put_can_be_read(string ttl)
    {
        var key = ClusterFixture.NewKey("ttl");

        using (var put = await fixture.Http.PutAsoAsync(Ns, key, $"aso.value = 'kept' aso.ttl = {ttl}"))
            await RestCalls.ExpectAsync(put, HttpStatusCode.Created);

        Assert.Equal("\"kept\"", await ReadBodyAsync(key));
    }

    [Fact]
    public async Task Random_args_and_random_aso_field_values_never_get_a_5xx()
    {
        var random = new Random(1204);
        var key = ClusterFixture.NewKey("fuzz-args");
        using (var put = await fixture.Http.PutAsoAsync(Ns, key, EchoArgs)) await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        var failures = new List<string>();

        for (int i = 0; i < 60; i++)
        {
            string json = RandomJson(random, 0);
            if (random.Next(3) == 0)
            {
                json = "{\"a\":" + json + "}";
            }
            using var get = await fixture.Http.GetAsync(Ns, key, query: Args(json));
            if ((int)get.StatusCode >= 500)
            {
                failures.Add($"GET args={json}: {(int)get.StatusCode} {await get.Content.ReadAsStringAsync()}");
            }
        }

        string[] fields = ["timerPeriod", "ttl", "value"];
        for (int i = 0; i < 40; i++)
        {
            var objKey = ClusterFixture.NewKey("fuzz-fields");
            var code = new StringBuilder();
            foreach (var field in fields)
            {
                if (random.Next(3) != 0)
                {
                    code.Append(CultureInfo.InvariantCulture, $"aso.{field} = {RandomLuaValue(random)}\n");
                }
            }
            code.Append("function aso:onTimer() end\n");
            if (random.Next(2) == 0)
            {
                code.Append(CultureInfo.InvariantCulture, $"function aso:onPut() self.{fields[random.Next(fields.Length)]} = {RandomLuaValue(random)} end\n");
            }
            using var put = await fixture.Http.PutAsoAsync(Ns, objKey, code.ToString());
            if ((int)put.StatusCode >= 500)
            {
                failures.Add($"PUT {code}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
                continue;
            }
            using var get = await fixture.Http.GetAsync(Ns, objKey);
            if ((int)get.StatusCode >= 500)
            {
                failures.Add($"GET after PUT {code}: {(int)get.StatusCode}");
            }
            // Acknowledged means stored: a 201 is followed by a readable object.
            if (put.StatusCode == HttpStatusCode.Created && get.StatusCode == HttpStatusCode.NotFound)
            {
                failures.Add($"PUT {code} was acknowledged, then GET answered 404");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));
    }

    private async Task<string> ReadBodyAsync(string key)
    {
        using var get = await fixture.Http.GetAsync(Ns, key);
        await RestCalls.ExpectAsync(get, HttpStatusCode.OK);
        return await get.Content.ReadAsStringAsync();
    }

    private static readonly string[] Strings = ["", "x", "héllo", "\\udc00", "\\ud800", "\\ud83d\\ude00", "\\u0000", "a\\\"b", "\\ud800\\ud800"];

    private static string RandomJson(Random random, int depth)
    {
        int pick = depth > 6 ? random.Next(5) : random.Next(8);
        return pick switch
        {
            0 => "null",
            1 => random.Next(2) == 0 ? "true" : "false",
            2 => random.Next(4) switch
            {
                0 => random.NextInt64().ToString(CultureInfo.InvariantCulture),
                1 => "1e308",
                2 => "-0.0",
                _ => "123456789012345678901234567890",
            },
            3 or 4 => "\"" + Strings[random.Next(Strings.Length)] + "\"",
            5 => "[" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => RandomJson(random, depth + 1))) + "]",
            _ => "{" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(j => $"\"{(random.Next(5) == 0 ? Strings[random.Next(Strings.Length)] : "k" + random.Next(3))}\":{RandomJson(random, depth + 1)}")) + "}",
        };
    }

    private static string RandomLuaValue(Random random) => random.Next(12) switch
    {
        0 => "1e300",
        1 => "-1e300",
        2 => "1/0",
        3 => "-1/0",
        4 => "0/0",
        5 => "math.maxinteger",
        6 => "math.mininteger",
        7 => "-5",
        8 => "'often'",
        9 => "{ 1, 2 }",
        10 => random.NextDouble().ToString("R", CultureInfo.InvariantCulture),
        _ => (random.NextDouble() * 1e10).ToString("R", CultureInfo.InvariantCulture),
    };
}
