using Comet.Abstractions.Wire;
using Comet.Grid.Security;

namespace Comet.Security.Tests;

/// <summary>The cluster-secret proof on its own: who it binds, for how long, and only once.</summary>
public class ClusterProofTests
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    [Fact]
    public void A_fresh_proof_verifies_once_for_its_node_and_purpose()
    {
        var time = new ManualTime();
        var proof = new ClusterProof("s3cret", MaxAge, time);
        var hello = proof.CreateHello("silo-1", ClusterProof.PurposeDial);
        Assert.True(proof.Verify(hello, ClusterProof.PurposeDial, out _));
        Assert.False(proof.Verify(hello, ClusterProof.PurposeDial, out var replay));
        Assert.Contains("replayed", replay, StringComparison.Ordinal);
        Assert.False(proof.Verify(proof.CreateHello("silo-1", ClusterProof.PurposeDial), ClusterProof.PurposeAccept, out _));
    }

    [Fact]
    public void A_proof_moved_to_another_node_id_or_checked_with_another_secret_fails()
    {
        var time = new ManualTime();
        var proof = new ClusterProof("s3cret", MaxAge, time);
        var hello = proof.CreateHello("silo-1", ClusterProof.PurposeDial);
        Assert.False(proof.Verify(new Hello(NodeRole.Silo, "silo-2", hello.Auth), ClusterProof.PurposeDial, out _));
        Assert.False(new ClusterProof("other", MaxAge, time).Verify(hello, ClusterProof.PurposeDial, out _));
        Assert.False(proof.Verify(new Hello(NodeRole.Client, "silo-1", hello.Auth), ClusterProof.PurposeDial, out _));
    }

    [Fact]
    public void A_proof_older_than_the_allowed_age_fails()
    {
        var time = new ManualTime();
        var proof = new ClusterProof("s3cret", MaxAge, time);
        var hello = proof.CreateHello("silo-1", ClusterProof.PurposeDial);
        time.Advance(MaxAge + TimeSpan.FromSeconds(1));
        Assert.False(proof.Verify(hello, ClusterProof.PurposeDial, out var why));
        Assert.Contains("clock", why, StringComparison.Ordinal);
    }
}
