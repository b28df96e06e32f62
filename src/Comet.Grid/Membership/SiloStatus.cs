namespace Comet.Grid.Membership;

/// <summary>A silo's lifecycle status in the membership table (Orleans's SiloStatus).</summary>
public enum SiloStatus : byte
{
    Joining = 1,
    Active = 2,
    ShuttingDown = 3,
    Dead = 4,
}
