namespace StyleBridge.Engine.Training;

/// <summary>
/// rosinality's StyleGAN2 losses, shared by the trainers that learn a discriminator: D's logistic loss, G's
/// non-saturating loss, and the R1 penalty on reals, lazily as its <c>d_reg_every</c> step.
/// </summary>
internal static class LogisticGan
{
    /// <summary>D's logistic loss <c>softplus(−D(real)) + softplus(D(fake))</c> (batch means).</summary>
    public static Tensor DiscriminatorLoss(Tensor realPrediction, Tensor fakePrediction) =>
        F.softplus(realPrediction.neg()).mean().add(F.softplus(fakePrediction).mean());

    /// <summary>G's non-saturating loss <c>softplus(−D(G(z)))</c> (batch mean).</summary>
    public static Tensor GeneratorLoss(Tensor fakePrediction) => F.softplus(fakePrediction.neg()).mean();

    /// <summary>R1: the batch mean of <c>‖∇ₓD(x)‖²</c> (<paramref name="x"/> requires grad; the graph is kept for its backward).</summary>
    public static Tensor R1Penalty(Tensor prediction, Tensor x)
    {
        var grad = autograd.grad([prediction.sum()], [x], retain_graph: true, create_graph: true)[0];
        return grad.square().reshape(x.size(0), -1).sum(1).mean();
    }

    /// <summary>
    /// The lazy R1 step: one optimiser step on <c>γ/2 · R1 · every</c> (+ <c>0·D(x)[0]</c>, as the reference) on the
    /// reals; returns the unweighted penalty.
    /// </summary>
    public static double LazyR1Step(Func<Tensor, Tensor> discriminator, TorchSharp.Modules.OptimizerHelper optimizer, Tensor reals, double gamma, int every)
    {
        var x = reals.detach().requires_grad_(true);
        var prediction = discriminator(x);
        var penalty = R1Penalty(prediction, x);
        optimizer.zero_grad();
        penalty.mul(gamma / 2 * every).add(prediction[0, 0].mul(0)).backward();
        optimizer.step();
        return penalty.item<float>();
    }
}
