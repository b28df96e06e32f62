namespace Comet.Grains;

/// <summary>Identities silos and clients of one CometGrains cluster share (Orleans's ClusterOptions).</summary>
public static class CometCluster
{
    /// <summary>The default Orleans cluster id; silos and clients of one cluster must agree on it.</summary>
    public const string DefaultClusterId = "comet";

    /// <summary>The default Orleans service id (keys grain storage and reminders across deployments).</summary>
    public const string DefaultServiceId = "comet";
}
