namespace Comet.Grid.Grains;

/// <summary>A request reached an activation that was just deactivated; the catalog retries on a fresh one.</summary>
public sealed class GrainDeactivatedException : Exception
{
    public GrainDeactivatedException() : base("The activation was deactivated.") { }

    public GrainDeactivatedException(string message) : base(message) { }

    public GrainDeactivatedException(string message, Exception inner) : base(message, inner) { }
}
