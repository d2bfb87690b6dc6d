using System.CommandLine;
using StyleBridge.Cli.Commands;

namespace StyleBridge.Cli;

/// <summary>The <c>stylebridge</c> command tree, built and run in-process (the executable's entry point calls <see cref="Run"/>).</summary>
public static class StyleBridgeCli
{
    public static RootCommand Create() => new("StyleBridge: CLIP and StyleGAN2 on TorchSharp (libtorch)")
    {
        ClipCommands.Create(),
        GanCommands.Create(),
        TrainCommands.Create(),
        DataCommands.Create(),
        GenerateCommand.Create(),
        EditCommands.Invert(),
        EditCommands.Edit(),
        EvalCommand.Create(),
        ModelsCommand.Create(),
    };

    /// <summary>Parses and runs <paramref name="args"/>; commands write to <paramref name="output"/> / <paramref name="error"/> (default: the console).</summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var configuration = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,
        };
        return Create().Parse(args).Invoke(configuration);
    }
}
