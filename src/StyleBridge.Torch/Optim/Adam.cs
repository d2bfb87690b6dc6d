namespace StyleBridge.Torch.Optim;

/// <summary>
/// Adam and AdamW with PyTorch's single-tensor update order, so that a step matches torch.optim on the same
/// libtorch: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).
/// Adam adds weight decay to the gradient; AdamW decays the parameter (p ← p(1 − lr·λ)) before the step.
/// </summary>
public class Adam : IDisposable
{
    private readonly List<ParamState> states;
    private readonly bool decoupled;

    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0)
        : this(parameters, lr, betas ?? (0.9, 0.999), eps, weightDecay, decoupled: false)
    {
    }

    protected Adam(IEnumerable<Tensor> parameters, double lr, (double Beta1, double Beta2) betas, double eps, double weightDecay, bool decoupled)
    {
        if (lr < 0) throw new ArgumentOutOfRangeException(nameof(lr));
        if (betas.Beta1 is < 0 or >= 1 || betas.Beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(betas));
        LearningRate = lr;
        Betas = betas;
        Eps = eps;
        WeightDecay = weightDecay;
        this.decoupled = decoupled;
        states = parameters.Select(p => new ParamState(p)).ToList();
    }

    public double LearningRate { get; set; }
    public (double Beta1, double Beta2) Betas { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    public void ZeroGrad()
    {
        foreach (var s in states)
            s.Param.SetGrad(null);
    }

    public void Step()
    {
        using var scope = TensorScope.Begin();
        using var noGrad = LibTorch.NoGrad();
        var (beta1, beta2) = Betas;
        foreach (var s in states)
        {
            var grad = s.Param.Grad;
            if (grad is null)
                continue;
            s.Step++;
            if (WeightDecay != 0)
            {
                if (decoupled)
                    s.Param.Mul_(1 - LearningRate * WeightDecay);
                else
                    grad = grad.Add(s.Param, WeightDecay);
            }

            s.ExpAvg ??= s.Param.ZerosLike().DetachFromScope();
            s.ExpAvgSq ??= s.Param.ZerosLike().DetachFromScope();
            s.ExpAvg.Mul_(beta1).Add_(grad, 1 - beta1);
            s.ExpAvgSq.Mul_(beta2).Addcmul_(grad, grad, 1 - beta2);

            double biasCorrection1 = 1 - Math.Pow(beta1, s.Step);
            double biasCorrection2 = 1 - Math.Pow(beta2, s.Step);
            double stepSize = LearningRate / biasCorrection1;
            var denom = s.ExpAvgSq.Sqrt().Div_(Math.Sqrt(biasCorrection2)).Add_(Eps);
            s.Param.Addcdiv_(s.ExpAvg, denom, -stepSize);
        }
    }

    public void Dispose()
    {
        foreach (var s in states)
        {
            s.ExpAvg?.Dispose();
            s.ExpAvgSq?.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    private sealed class ParamState(Tensor param)
    {
        public Tensor Param { get; } = param;
        public long Step { get; set; }
        public Tensor? ExpAvg { get; set; }
        public Tensor? ExpAvgSq { get; set; }
    }
}

public sealed class AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 1e-2)
    : Adam(parameters, lr, betas ?? (0.9, 0.999), eps, weightDecay, decoupled: true);

/// <summary>Exponential moving average of a module's parameters (and a copy of its buffers): shadow ← d·shadow + (1−d)·param.</summary>
public sealed class Ema : IDisposable
{
    private readonly List<(Tensor Source, Tensor Shadow)> pairs;

    public Ema(NN.Module source, double decay = 0.999)
    {
        if (decay is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(decay));
        Decay = decay;
        using var scope = TensorScope.Begin();
        using var noGrad = LibTorch.NoGrad();
        pairs = source.StateDict().Select(kv => (kv.Value, kv.Value.Detach().Clone().DetachFromScope())).ToList();
    }

    public double Decay { get; }

    public IEnumerable<Tensor> Shadows => pairs.Select(p => p.Shadow);

    public void Update()
    {
        using var noGrad = LibTorch.NoGrad();
        foreach (var (source, shadow) in pairs)
        {
            if (source.Dtype.IsFloatingPoint())
                shadow.Mul_(Decay).Add_(source, 1 - Decay);
            else
                shadow.Copy_(source);
        }
    }

    /// <summary>Copies the averaged values into a module of the same architecture (e.g. the inference copy).</summary>
    public void CopyTo(NN.Module target)
    {
        using var noGrad = LibTorch.NoGrad();
        var targets = target.StateDict();
        if (targets.Count != pairs.Count)
            throw new ArgumentException("target module has a different state dict", nameof(target));
        for (int i = 0; i < pairs.Count; i++)
            targets[i].Value.Copy_(pairs[i].Shadow);
    }

    public void Dispose()
    {
        foreach (var (_, shadow) in pairs)
            shadow.Dispose();
    }
}
