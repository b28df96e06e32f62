using Comet.Abstractions.Errors;
using Comet.Sandbox.Tests.Support;

namespace Comet.Sandbox.Tests;

public class CodeValidationTests
{
    private static readonly AsoSandboxOptions Options = new();

    [Fact]
    public void Valid_code_passes_validation()
    {
        AsoRuntime.ValidateCode("aso.value = 1\nfunction aso:onGet() return self.value end", Options);
        AsoRuntime.ValidateCode("", Options);
    }

    [Fact]
    public void A_syntax_error_is_bad_code_with_its_line()
    {
        var e = Assert.Throws<AsoException>(() => AsoRuntime.ValidateCode("aso.value = 1\n\nfunction aso:onGet(\n  return 1\nend", Options));

        Assert.Equal(CometErrorCode.BadCode, e.Code);
        Assert.StartsWith("line 4:", e.Message);
    }

    [Fact]
    public void Loading_code_with_a_syntax_error_is_bad_code_with_its_line()
    {
        var e = Assert.Throws<AsoException>(() => Asos.Load("x = = 1"));

        Assert.Equal(CometErrorCode.BadCode, e.Code);
        Assert.Equal("line 1: unexpected symbol near '='", e.Message);
    }

    [Fact]
    public void Code_over_the_size_limit_is_refused()
    {
        var options = new AsoSandboxOptions { MaxCodeBytes = 100 };

        var e = Assert.Throws<AsoException>(() => AsoRuntime.ValidateCode(new string('-', 101), options));

        Assert.Equal(CometErrorCode.BadCode, e.Code);
        Assert.Contains("101 bytes; the limit is 100", e.Message);
    }

    [Fact]
    public void Code_size_is_counted_in_utf8_bytes()
    {
        var options = new AsoSandboxOptions { MaxCodeBytes = 10 };

        AsoRuntime.ValidateCode("-- ééééé", new AsoSandboxOptions { MaxCodeBytes = 13 });
        Assert.Throws<AsoException>(() => AsoRuntime.ValidateCode("-- ééééé", options));
    }

    [Fact]
    public void Text_that_is_not_valid_unicode_is_refused()
    {
        var e = Assert.Throws<AsoException>(() => AsoRuntime.ValidateCode("aso.v = '\uD800'", Options));

        Assert.Equal(CometErrorCode.BadCode, e.Code);
        Assert.Contains("UTF-8", e.Message);
    }

    [Fact]
    public void A_chunk_that_raises_is_bad_code_with_its_line()
    {
        var e = Assert.Throws<AsoException>(() => Asos.Load("aso.value = 1\nlocal t = nil\nt.x = 1"));

        Assert.Equal(CometErrorCode.BadCode, e.Code);
        Assert.StartsWith("aso:chunk line 3: attempt to index a nil value", e.Message);
    }

    [Fact]
    public void A_chunk_must_leave_aso_a_table()
    {
        var e = Assert.Throws<AsoException>(() => Asos.Load("aso = 5"));

        Assert.Equal(CometErrorCode.BadCode, e.Code);
        Assert.Contains("'aso' a table", e.Message);
    }

    [Fact]
    public void A_chunk_may_replace_aso_with_another_table()
    {
        using var obj = Asos.Load("aso = { value = 'replaced' }");

        Assert.Equal("replaced", obj.Data["value"].AsString());
    }

    [Fact]
    public void A_chunk_whose_data_is_not_storable_is_bad_code()
    {
        var e = Assert.Throws<AsoException>(() => Asos.Load("aso.handlers = { f = function() end }"));

        Assert.Equal(CometErrorCode.BadCode, e.Code);
        Assert.Contains("field 'handlers'", e.Message);
        Assert.Contains("function", e.Message);
    }

    [Fact]
    public void Top_level_functions_are_code_not_data()
    {
        using var obj = Asos.Load("aso.value = 1 function aso:helper() end function aso:onGet() end");

        Assert.Equal(AsoValue.Table(("value", 1L)), obj.Data);
    }

    [Fact]
    public void Options_out_of_range_are_refused_at_start_up()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsoRuntime(new AsoSandboxOptions { InstructionLimit = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsoRuntime(new AsoSandboxOptions { MemoryLimitBytes = 1000 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsoRuntime(new AsoSandboxOptions { HandlerTimeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsoRuntime(new AsoSandboxOptions { MinTimerPeriodSeconds = double.NaN }));
        new AsoSandboxOptions().Validate();
    }

    [Fact]
    public void An_unbounded_neighbour_call_rate_is_refused_at_validation()
    {
        var options = new AsoSandboxOptions { MaxNeighbourCallsPerSecond = int.MaxValue };
        Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        new AsoSandboxOptions { MaxNeighbourCallsPerSecond = AsoSandboxOptions.MaxNeighbourRateCeiling }.Validate();
    }
}
