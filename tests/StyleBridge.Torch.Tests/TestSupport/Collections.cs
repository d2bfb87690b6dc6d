namespace StyleBridge.Torch.Tests;

/// <summary>Tests that change process-wide state (the global RNG, thread count, environment) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeStateCollection
{
    public const string Name = "Native state";
}
