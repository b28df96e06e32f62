namespace Comet.Client;

/// <summary>A silo of the cluster, as its membership view describes it.</summary>
/// <param name="Id">The silo id.</param>
/// <param name="Host">The address clients and silos use to reach it.</param>
/// <param name="SiloPort">Its silo-to-silo port.</param>
/// <param name="GatewayPort">Its client gateway port (binary protocol; what this SDK talks to).</param>
/// <param name="HttpPort">Its HTTP port (REST gateway and admin), or -1 when HTTP is off.</param>
/// <param name="Status">Its membership status (e.g. <c>Active</c>).</param>
public sealed record CometSilo(string Id, string Host, int SiloPort, int GatewayPort, int HttpPort, string Status);
