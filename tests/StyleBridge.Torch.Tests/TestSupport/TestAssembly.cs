using System.Runtime.CompilerServices;

namespace StyleBridge.Torch.Tests.TestSupport;

internal static class TestAssembly
{
    /// <summary>Like every entry point, the test run applies StyleBridge's libtorch settings before any test touches TorchSharp.</summary>
#pragma warning disable CA2255 // an entry point's start-up, not library code
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => TorchRuntime.Initialize();
}
