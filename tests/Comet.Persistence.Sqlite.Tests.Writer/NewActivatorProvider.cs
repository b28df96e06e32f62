using Orleans.Serialization.Activators;
using Orleans.Serialization.Serializers;

namespace Comet.Persistence.Sqlite.Tests.Writer;

/// <summary>Creates states with their parameterless constructor (all a counter needs), without Orleans's serializer start-up.</summary>
internal sealed class NewActivatorProvider : IActivatorProvider
{
    public IActivator<T> GetActivator<T>() => new NewActivator<T>();

    private sealed class NewActivator<T> : IActivator<T>
    {
        public T Create() => Activator.CreateInstance<T>();
    }
}
