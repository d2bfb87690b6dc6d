using System.CommandLine;

namespace StyleBridge.Cli.Commands;

internal static class GanCommands
{
    public static Command Create() => new("gan", "StyleGAN2 mapping and synthesis");
}
