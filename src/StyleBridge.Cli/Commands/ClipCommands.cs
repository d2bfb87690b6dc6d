using System.CommandLine;

namespace StyleBridge.Cli.Commands;

internal static class ClipCommands
{
    public static Command Create() => new("clip", "CLIP tokenizer and encoders");
}
