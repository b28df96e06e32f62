namespace Comet.Gateway.Metrics;

/// <summary>The client operations a silo serves (REST and SDK), as <see cref="OperationMetrics"/> counts them.</summary>
public enum ClientOp
{
    Put = 0,
    Get = 1,
    Delete = 2,
    History = 3,
}
