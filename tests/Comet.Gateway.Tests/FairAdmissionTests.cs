using Comet.Gateway.Security;
using Comet.Gateway.Tests.Support;

namespace Comet.Gateway.Tests;

/// <summary>The admission algorithm alone, on a hand-moved clock: counts of admitted and refused puts, no timing.</summary>
public class FairAdmissionTests
{
    private const double Cost = 1000;

    private static (FairStorageAdmission Admission, ManualTime Time) Create(double windowPuts = 100, double reserve = 0.3, double newcomerPuts = 10)
    {
        var time = new ManualTime();
        var window = TimeSpan.FromSeconds(10);
        var options = new FairAdmissionOptions
        {
            Window = window,
            BudgetPerSecond = windowPuts * Cost / window.TotalSeconds,
            ReserveFraction = reserve,
            MinimumClientRate = newcomerPuts * Cost / window.TotalSeconds,
        };
        return (new FairStorageAdmission(options, time), time);
    }

    private static bool TryAdmit(FairStorageAdmission admission, string client)
    {
        try
        {
            admission.Admit(client, Cost);
            return true;
        }
        catch (RateLimitedException)
        {
            return false;
        }
    }

    /// <summary>Runs one window: the flooder asks <paramref name="floodPerLight"/> puts per light put; returns admitted counts.</summary>
    private static (int Light, int Flood) RunWindow(FairStorageAdmission admission, int lightPuts, int floodPerLight)
    {
        var (light, flood) = (0, 0);
        for (var i = 0; i < lightPuts; i++)
        {
            for (var j = 0; j < floodPerLight; j++) flood += TryAdmit(admission, "flooder") ? 1 : 0;
            light += TryAdmit(admission, "light") ? 1 : 0;
        }
        return (light, flood);
    }

    [Fact]
    public void Without_contention_every_put_is_admitted()
    {
        var (admission, _) = Create();
        for (var i = 0; i < 60; i++) Assert.True(TryAdmit(admission, "a" + (i % 3)));
    }

    [Fact]
    public void A_flooding_client_cannot_take_the_share_of_a_light_one_in_the_first_window()
    {
        var (admission, _) = Create();
        var (light, flood) = RunWindow(admission, lightPuts: 8, floodPerLight: 30);
        Assert.Equal(8, light);
        // Budget 100: the light client's promised 10 and the 10 of the reserve still free stay out of the flooder's reach.
        Assert.Equal(80, flood);
    }

    [Fact]
    public void In_later_windows_shares_are_max_min_fair_by_last_window_demand()
    {
        var (admission, time) = Create();
        RunWindow(admission, lightPuts: 8, floodPerLight: 30);
        time.Advance(TimeSpan.FromSeconds(10));
        // Light asked 8 (below the newcomer minimum of 10), so it is promised 10; the flooder the rest of the 70 shared.
        Assert.Equal(10, admission.Standing("light").Share / Cost, 6);
        Assert.Equal(60, admission.Standing("flooder").Share / Cost, 6);
        var (light, flood) = RunWindow(admission, lightPuts: 10, floodPerLight: 30);
        Assert.Equal(10, light);
        Assert.Equal(60, flood); // its share: the rest is the light client's or the reserve kept for newcomers
    }

    [Fact]
    public void A_newcomer_arriving_after_the_flood_still_gets_its_minimum()
    {
        var (admission, _) = Create();
        for (var i = 0; i < 500; i++) TryAdmit(admission, "flooder");
        var late = 0;
        for (var i = 0; i < 10; i++) late += TryAdmit(admission, "late") ? 1 : 0;
        Assert.Equal(10, late);
    }

    [Fact]
    public void A_refused_put_says_when_the_window_ends()
    {
        var (admission, time) = Create();
        for (var i = 0; i < 200; i++) TryAdmit(admission, "flooder");
        time.Advance(TimeSpan.FromSeconds(4));
        var refused = Assert.Throws<RateLimitedException>(() => admission.Admit("flooder", Cost));
        Assert.Equal(TimeSpan.FromSeconds(6), refused.RetryAfter);
        Assert.True(RateLimitedException.TryReadRetryAfter(refused.Message, out var parsed));
        Assert.Equal(TimeSpan.FromSeconds(6), parsed);
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.True(TryAdmit(admission, "flooder"));
    }

    [Fact]
    public void The_cost_of_a_put_is_its_bytes_times_its_lifetime()
    {
        var (admission, _) = Create();
        Assert.Equal((100 + 64) * 30.0, admission.CostOf(100, 30));
        Assert.Equal((100 + 64) * TimeSpan.FromDays(1).TotalSeconds, admission.CostOf(100, null));
    }
}
