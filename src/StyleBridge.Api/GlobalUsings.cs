global using StyleBridge.Torch;
global using TorchSharp;
global using static TorchSharp.torch;
