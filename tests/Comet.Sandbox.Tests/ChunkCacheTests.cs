using Comet.Abstractions.Errors;
using Comet.Sandbox.Tests.Support;

namespace Comet.Sandbox.Tests;

/// <summary>Compiled chunks cached by the digest of their code (issue 12, class 7): same behaviour, one parse.</summary>
public class ChunkCacheTests
{
    private const string Code = """
        aso.n = 0
        function aso:onGet(caller)
          if caller.args then error("boom") end
          self.n = self.n + 1
          return self.n
        end
        """;

    [Fact]
    public async Task Objects_with_the_same_code_share_one_compiled_chunk_and_behave_alike()
    {
        var runtime = Asos.Runtime(_ => { });
        using var first = Asos.Load(Code, runtime: runtime, key: "a");
        using var second = Asos.Load(Code, runtime: runtime, key: "b");
        using var other = Asos.Load(Code + "\n-- another version", runtime: runtime, key: "c");

        Assert.Equal(2, runtime.Chunks.Count);
        Assert.Equal(1L, (await first.Get()).AsInt64());
        Assert.Equal(2L, (await first.Get()).AsInt64());
        Assert.Equal(1L, (await second.Get()).AsInt64());
        // Objects stay separate: the cache shares compiled code, never state.
        Assert.Equal(1L, (await other.Get()).AsInt64());
    }

    [Fact]
    public async Task Errors_in_cached_code_still_name_the_line()
    {
        var runtime = Asos.Runtime(_ => { });
        using var first = Asos.Load(Code, runtime: runtime, key: "a");
        using var cached = Asos.Load(Code, runtime: runtime, key: "b");

        var e = await cached.FailsGet(CometErrorCode.HandlerError, Asos.Client(AsoValue.FromString("x")));

        Assert.Contains("line 3", e.Message);
        Assert.Equal(1, runtime.Chunks.Count);
    }

    [Fact]
    public void Code_that_does_not_compile_is_not_cached()
    {
        var runtime = Asos.Runtime(_ => { });

        Assert.Throws<AsoException>(() => Asos.Load("function aso:onGet( return 1 end", runtime: runtime));

        Assert.Equal(0, runtime.Chunks.Count);
    }
}
