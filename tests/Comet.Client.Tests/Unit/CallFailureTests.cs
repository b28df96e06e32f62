using Comet.Abstractions.Errors;
using Comet.Client.Connection;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace Comet.Client.Tests.Unit;

/// <summary>Orleans's failures reach users as the codes they can act on.</summary>
public class CallFailureTests
{
    public static TheoryData<Exception, CometErrorCode> Failures => new()
    {
        { new SiloUnavailableException("silo gone"), CometErrorCode.Unavailable },
        { new ConnectionFailedException("refused"), CometErrorCode.Unavailable },
        { new GatewayTooBusyException("gateway too busy"), CometErrorCode.Unavailable },
        { new TimeoutException("Response did not arrive on time"), CometErrorCode.Timeout },
        { new InvalidOperationException("boom"), CometErrorCode.Internal },
        { new CometException(CometErrorCode.Rejected, "onUpdate said no"), CometErrorCode.Rejected },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Each_failure_has_its_code_and_a_message_naming_the_request(Exception failure, CometErrorCode code)
    {
        ArgumentNullException.ThrowIfNull(failure);

        var comet = CallFailures.ToComet(failure, "get", "cart");

        Assert.Equal(code, comet.Code);
        Assert.Contains(failure.Message, comet.Message, StringComparison.Ordinal);
        if (failure is not CometException) Assert.Contains("get of 'cart'", comet.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_store_error_passes_through_as_it_came()
    {
        var rejected = new CometException(CometErrorCode.Rejected, "onUpdate said no");

        Assert.Same(rejected, CallFailures.ToComet(rejected, "put", "k"));
    }
}
