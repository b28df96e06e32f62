using Comet.Abstractions.Errors;

namespace Comet.Grains.Serialization;

/// <summary>
/// A <see cref="CometException"/> thrown in a grain reaches its caller with its code and
/// message intact (Orleans's general exception codec would keep the message but lose the code).
/// </summary>
[GenerateSerializer, Immutable]
public struct CometExceptionSurrogate
{
    [Id(0)] public CometErrorCode Code;
    [Id(1)] public string Message;
    [Id(2)] public string? Context;
}

[RegisterConverter]
public sealed class CometExceptionConverter : IConverter<CometException, CometExceptionSurrogate>
{
    public CometException ConvertFromSurrogate(in CometExceptionSurrogate surrogate) => new(surrogate.Code, surrogate.Message) { Context = surrogate.Context };

    public CometExceptionSurrogate ConvertToSurrogate(in CometException value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new CometExceptionSurrogate { Code = value.Code, Message = value.Message, Context = value.Context };
    }
}
