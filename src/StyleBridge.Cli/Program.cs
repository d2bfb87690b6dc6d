using System.CommandLine;
using StyleBridge.Cli.Commands;

var root = new RootCommand("StyleBridge: CLIP and StyleGAN2 on libtorch")
{
    ClipCommands.Create(),
    GanCommands.Create(),
};
return root.Parse(args).Invoke();
