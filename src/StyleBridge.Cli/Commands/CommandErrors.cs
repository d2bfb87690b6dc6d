using System.CommandLine;
using StyleBridge.Engine.ModelSets;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Cli.Commands;

/// <summary>Runs a command's body; an expected failure (bad argument, unreadable file, refused model set) prints one line and exits 1.</summary>
internal static class CommandErrors
{
    public static int Guarded(ParseResult parse, Action body)
    {
        try
        {
            body();
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or WeightFormatException
                                      or InvalidOperationException or NotSupportedException or System.Runtime.InteropServices.ExternalException
                                      or UnauthorizedAccessException or ModelSetException or StyleBridge.Models.Prior.PriorFormatException
                                      or StyleBridge.Models.Clip.ClipTokenizerException or OperationCanceledException
                                      or StyleBridge.Imaging.ImageDecodeException)
        {
            parse.InvocationConfiguration.Error.WriteLine($"error: {e.Message.Split('\n')[0]}");
            return 1;
        }
    }
}
