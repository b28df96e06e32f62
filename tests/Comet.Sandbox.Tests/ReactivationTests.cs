using Comet.Abstractions.Errors;
using Comet.Sandbox.Tests.Support;

namespace Comet.Sandbox.Tests;

public class ReactivationTests
{
    private const string Counter = """
        aso.value = "Hello"
        aso.getCount = 0
        aso.temporary = "from the code"
        function aso:onGet(caller)
          self.getCount = self.getCount + 1
          if self.getCount == 2 then self.temporary = nil end
          return self.value .. " #" .. self.getCount
        end
        """;

    [Fact]
    public async Task Persisted_state_replaces_the_chunk_defaults_and_the_functions_still_work()
    {
        byte[] state;
        using (var first = Asos.Load(Counter))
        {
            await first.Get();
            await first.Get();
            state = first.EncodeState();
        }

        using var again = Asos.Load(Counter, state: state);

        Assert.Equal(2L, again.Data["getCount"].AsInt64());
        Assert.Equal("Hello #3", (await again.Get()).AsString());
    }

    [Fact]
    public async Task A_field_the_object_deleted_stays_deleted_after_reactivation()
    {
        byte[] state;
        using (var first = Asos.Load(Counter))
        {
            await first.Get();
            await first.Get();
            state = first.EncodeState();
        }

        using var again = Asos.Load(Counter, state: state);

        Assert.True(again.Data["temporary"].IsNil);
    }

    [Fact]
    public void Reactivation_with_the_state_reproduces_the_same_bytes()
    {
        using var first = Asos.Load("aso.a = {3, 2, 1, x = {y = 'z'}} aso.b = 1.5 aso[1] = true aso[2.5] = 'f'");
        var state = first.EncodeState();

        using var again = Asos.Load("aso.a = 0", state: state);

        Assert.Equal(state, again.EncodeState());
        Assert.Equal(first.Data, again.Data);
    }

    [Fact]
    public void Malformed_persisted_state_is_refused_with_a_typed_error()
    {
        var e = Assert.Throws<AsoException>(() => Asos.Load("aso.x = 1", state: [0xA5, 0x01, 0x06, 0x05]));

        Assert.Equal(CometErrorCode.BadRequest, e.Code);
    }

    [Fact]
    public void Persisted_state_that_is_not_a_table_is_refused()
    {
        var e = Assert.Throws<AsoException>(() => Asos.Load("aso.x = 1", state: AsoStateCodec.Encode("just a string")));

        Assert.Equal(CometErrorCode.BadRequest, e.Code);
    }

    [Fact]
    public void The_encoded_state_matches_the_codec_encoding_of_the_data()
    {
        using var obj = Asos.Load("aso.list = {1, 2, 'three'} aso.map = {b = 1, a = 2, [10] = false} aso.f = 0.25");

        Assert.Equal(AsoStateCodec.Encode(obj.Data), obj.EncodeState());
    }
}
