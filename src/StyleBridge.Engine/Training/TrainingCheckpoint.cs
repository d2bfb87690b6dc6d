using System.Text.Json;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Engine.Training;

/// <summary>
/// A trainer's checkpoint directory: <c>model.safetensors</c> (the module's state dict), <c>optimizer.bin</c>
/// (TorchSharp's optimiser state) and <c>state.json</c> (step counter and options), enough to continue bit for bit.
/// </summary>
internal static class TrainingCheckpoint
{
    private const string ModelFile = "model.safetensors";
    private const string OptimizerFile = "optimizer.bin";
    private const string StateFile = "state.json";

    public sealed record State<TOptions>(int Step, TOptions Options);

    public static void Save<TOptions>(string directory, nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer, int step, TOptions options) =>
        Save(directory, StateDicts.Of(model), optimizer, step, options);

    /// <summary>As above, for tensors gathered by the trainer (e.g. a model and its EMA copy under a prefix).</summary>
    public static void Save<TOptions>(string directory, IEnumerable<KeyValuePair<string, Tensor>> weights, TorchSharp.Modules.OptimizerHelper optimizer, int step, TOptions options)
    {
        Directory.CreateDirectory(directory);
        SafeTensors.Save(Path.Combine(directory, ModelFile), weights);
        optimizer.save_state_dict(Path.Combine(directory, OptimizerFile));
        File.WriteAllText(Path.Combine(directory, StateFile), JsonSerializer.Serialize(new State<TOptions>(step, options)));
    }

    public static State<TOptions> ReadState<TOptions>(string directory) =>
        JsonSerializer.Deserialize<State<TOptions>>(File.ReadAllText(Path.Combine(directory, StateFile)))
        ?? throw new InvalidDataException($"{directory}: unreadable {StateFile}");

    /// <summary>The saved weights (owned by the caller), e.g. to infer the architecture before building the model.</summary>
    public static StateDict ReadWeights(string directory) => SafeTensors.Load(Path.Combine(directory, ModelFile));

    public static void LoadOptimizer(string directory, TorchSharp.Modules.OptimizerHelper optimizer) =>
        optimizer.load_state_dict(Path.Combine(directory, OptimizerFile));
}
