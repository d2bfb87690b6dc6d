global using StyleBridge.Torch;
global using TorchSharp;
global using static TorchSharp.torch;
global using RandomGenerator = TorchSharp.torch.Generator;
