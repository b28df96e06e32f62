using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Comet.Gateway.Tests;

[Collection(RestCollection.Name)]
public sealed class RestSmokeTests(RestClusterFixture fixture)
{
    [Fact]
    public async Task A_value_put_through_one_silo_is_read_through_another()
    {
        var key = RestClusterFixture.NewKey();
        var put = await fixture.Http.PutAsync($"/v1/default/keys/{key}", new StringContent("hello"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var other = fixture.HttpOf(2);
        var get = await other.GetAsync($"/v1/default/keys/{key}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("hello", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_one_time_value_is_read_once_then_gone_everywhere()
    {
        var key = RestClusterFixture.NewKey("secret");
        var code = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "asos", "one_time_value.lua")));
        code.Headers.ContentType = new MediaTypeHeaderValue("application/x-lua");
        Assert.Equal(HttpStatusCode.Created, (await fixture.Http.PutAsync($"/v1/default/keys/{key}", code)).StatusCode);
        var first = await fixture.Http.GetAsync($"/v1/default/keys/{key}");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var other = fixture.HttpOf(1);
        var second = await other.GetAsync($"/v1/default/keys/{key}");
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
        Assert.Contains("\"error\":\"NotFound\"", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_lua_is_a_typed_400_and_stores_nothing()
    {
        var key = RestClusterFixture.NewKey("bad");
        var code = new StringContent("function (", Encoding.UTF8);
        code.Headers.ContentType = new MediaTypeHeaderValue("application/x-lua");
        var put = await fixture.Http.PutAsync($"/v1/default/keys/{key}", code);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Contains("\"error\":\"BadCode\"", await put.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Http.GetAsync($"/v1/default/keys/{key}")).StatusCode);
    }
}
