using System.Diagnostics.Metrics;

namespace Comet.Gateway.Metrics;

/// <summary>
/// The "CometGrains" <see cref="Meter"/>: what a silo serves, for an OpenTelemetry collector or
/// <c>dotnet-counters</c>. Every measurement is tagged with the silo's name, since one process
/// may host several silos (the dev local cluster, tests). Orleans's own meter
/// ("Microsoft.Orleans") carries activations, messaging and membership.
/// </summary>
public static class CometMeter
{
    public const string Name = "CometGrains";

    public static readonly Meter Meter = new(Name, "1.0");

    internal static readonly Counter<long> Operations =
        Meter.CreateCounter<long>("comet.operations", "{operation}", "Client operations this silo served (REST and SDK), failures included.");

    internal static readonly Histogram<double> OperationDuration =
        Meter.CreateHistogram<double>("comet.operation.duration", "s", "Time from receiving a client operation to its answer, failures included.");

    internal static readonly Counter<long> Errors =
        Meter.CreateCounter<long>("comet.errors", "{error}", "Client operations answered with an error, by error code.");

    internal static readonly Counter<long> HandlerFailures =
        Meter.CreateCounter<long>("comet.handler.failures", "{failure}", "Client operations that failed in an ASO's handler or its sandbox limits, by error code.");
}
