global using StyleBridge.Torch;
global using TorchSharp;
global using static TorchSharp.torch;
global using F = TorchSharp.torch.nn.functional;
global using RandomGenerator = TorchSharp.torch.Generator;
