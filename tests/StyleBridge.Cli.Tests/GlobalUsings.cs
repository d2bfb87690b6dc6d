global using StyleBridge.Torch;
global using TorchSharp;
global using static TorchSharp.torch;
global using Generator = StyleBridge.Models.StyleGan2.Generator;
global using RandomGenerator = TorchSharp.torch.Generator;
