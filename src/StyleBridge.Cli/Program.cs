using StyleBridge.Cli;
using StyleBridge.Torch;

TorchRuntime.Initialize();
return StyleBridgeCli.Run(args);
