namespace Comet.Client;

/// <summary>A silo of the cluster, as Orleans's membership describes it (<see cref="CometClient.GetClusterAsync"/>).</summary>
/// <param name="Id">The silo's name (Orleans's <c>SiloOptions.SiloName</c>, e.g. <c>silo-1</c>).</param>
/// <param name="Host">The address other silos and clients reach it at.</param>
/// <param name="SiloPort">Its silo-to-silo port.</param>
/// <param name="GatewayPort">Its client gateway port (what this SDK connects to).</param>
/// <param name="HttpPort">Its HTTP port (REST gateway and admin), or -1 when unknown: Orleans's membership does not carry it.</param>
/// <param name="Status">Its membership status (<c>Joining</c>, <c>Active</c>, <c>ShuttingDown</c>, <c>Stopping</c>).</param>
public sealed record CometSilo(string Id, string Host, int SiloPort, int GatewayPort, int HttpPort, string Status);
