global using StyleBridge.Torch;
global using TorchSharp;
global using static TorchSharp.torch;
global using F = TorchSharp.torch.nn.functional;
global using Parameter = TorchSharp.Modules.Parameter;
global using Linear = TorchSharp.Modules.Linear;
global using Embedding = TorchSharp.Modules.Embedding;
global using Conv2d = TorchSharp.Modules.Conv2d;
