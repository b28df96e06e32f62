using System.Net;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Ring;
using Comet.Client.Routing;
using FsCheck;
using FsCheck.Fluent;

namespace Comet.Client.Tests.Unit;

public class RoutingTests
{
    private const int Partitions = 256;

    private static ClusterViewResponse View(int silos, int partitions = Partitions) =>
        new(7, partitions, Enumerable.Range(1, silos)
            .Select(i => new SiloEndpoint($"silo-{i}", "10.0.0." + i, 11000 + i, 30000 + i, 8000 + i, "Active"))
            .ToArray());

    private static int GatewayPortOf(SiloRoute route) => ((IPEndPoint)route.EndPoint).Port;

    [Fact]
    public void Every_key_goes_to_the_gateway_of_its_preference_lists_first_silo()
    {
        var view = View(5);
        var map = ClusterMap.FromView(view, previous: null);
        var ring = new HashRing(view.Silos.Select(s => s.Id), view.Partitions);

        var property = Prop.ForAll<NonEmptyString>(key =>
        {
            var hash = KeyHash.Of("default", key.Get);
            var coordinator = ring.PreferenceList(hash, 3)[0];
            var route = map.CoordinatorOf(hash);
            var silo = view.Silos.Single(s => s.Id == coordinator);
            return route.Id == coordinator
                && GatewayPortOf(route) == silo.GatewayPort
                && ((IPEndPoint)route.EndPoint).Address.Equals(IPAddress.Parse(silo.Host));
        });
        Check.QuickThrowOnFailure(property);
    }

    [Fact]
    public void Keys_spread_over_every_silo()
    {
        var map = ClusterMap.FromView(View(3), previous: null);

        var used = Enumerable.Range(0, 300).Select(i => map.CoordinatorOf(KeyHash.Of("default", "key-" + i)).Id).ToHashSet();

        Assert.Equal(3, used.Count);
    }

    [Fact]
    public void A_coordinator_cooling_down_after_a_failure_is_skipped_for_the_next_silo_of_the_list()
    {
        var view = View(4);
        var map = ClusterMap.FromView(view, previous: null);
        var ring = new HashRing(view.Silos.Select(s => s.Id), view.Partitions);
        var hash = KeyHash.Of("default", "some-key");
        var preference = ring.PreferenceList(hash, 3);

        map.CoordinatorOf(hash).MarkFailed(TimeSpan.FromMinutes(1));

        Assert.Equal(preference[1], map.CoordinatorOf(hash).Id);
    }

    [Fact]
    public void A_failed_request_is_retried_on_the_next_silo_of_the_preference_list()
    {
        var view = View(4);
        var map = ClusterMap.FromView(view, previous: null);
        var ring = new HashRing(view.Silos.Select(s => s.Id), view.Partitions);
        var hash = KeyHash.Of("default", "another-key");
        var preference = ring.PreferenceList(hash, 3);
        var first = map.CoordinatorOf(hash);

        var retry = map.FallbackFor(hash, 3, first);

        Assert.Equal(preference[1], retry?.Id);
    }

    [Fact]
    public void With_n_1_the_retry_still_goes_to_another_silo_which_forwards()
    {
        var map = ClusterMap.FromView(View(3), previous: null);
        var hash = KeyHash.Of("default", "k");
        var first = map.CoordinatorOf(hash);

        var retry = map.FallbackFor(hash, 1, first);

        Assert.NotNull(retry);
        Assert.NotEqual(first.Id, retry.Id);
    }

    [Fact]
    public void A_single_silo_cluster_has_no_retry_target()
    {
        var map = ClusterMap.FromView(View(1), previous: null);
        var hash = KeyHash.Of("default", "k");

        Assert.Null(map.FallbackFor(hash, 3, map.CoordinatorOf(hash)));
    }

    [Fact]
    public void A_new_view_keeps_the_cool_down_of_a_silo_it_still_lists()
    {
        var first = ClusterMap.FromView(View(3), previous: null);
        first.Find("silo-2")!.MarkFailed(TimeSpan.FromMinutes(1));

        var second = ClusterMap.FromView(View(3) with { MembershipVersion = 8 }, first);

        Assert.True(second.Find("silo-2")!.IsCoolingDown);
        Assert.False(second.Find("silo-1")!.IsCoolingDown);
    }

    [Fact]
    public void The_same_members_match_and_a_changed_endpoint_does_not()
    {
        var view = View(3);
        var map = ClusterMap.FromView(view, previous: null);
        var moved = view with { Silos = [.. view.Silos.Take(2), view.Silos[2] with { GatewayPort = 40000 }] };

        Assert.True(map.Matches(View(3)));
        Assert.False(map.Matches(moved));
        Assert.False(map.Matches(View(2)));
    }

    [Fact]
    public void Before_any_view_requests_go_to_the_configured_gateways_in_turn()
    {
        var gateways = new EndPoint[] { new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2) };
        var map = ClusterMap.FromGateways(gateways);

        var used = Enumerable.Range(0, 4).Select(i => map.CoordinatorOf(KeyHash.Of("default", "k")).EndPoint).ToHashSet();

        Assert.False(map.HasSilos);
        Assert.Equal(gateways.ToHashSet(), used);
    }

    [Fact]
    public void A_view_whose_partition_count_is_not_a_power_of_two_is_malformed()
    {
        var error = Assert.Throws<CometException>(() => ClusterMap.FromView(View(3, partitions: 100), previous: null));

        Assert.Equal(CometErrorCode.MalformedFrame, error.Code);
    }

    [Fact]
    public void A_view_naming_a_silo_twice_is_malformed()
    {
        var view = View(2);
        var twice = view with { Silos = [view.Silos[0], view.Silos[0]] };

        var error = Assert.Throws<CometException>(() => ClusterMap.FromView(twice, previous: null));

        Assert.Equal(CometErrorCode.MalformedFrame, error.Code);
    }

    [Fact]
    public void Host_names_become_dns_endpoints_and_addresses_ip_endpoints()
    {
        Assert.IsType<DnsEndPoint>(GatewayAddress.Parse("silo.example:30000"));
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 30000), GatewayAddress.Parse("[::1]:30000"));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 30000), GatewayAddress.Parse("127.0.0.1:30000"));
    }
}
