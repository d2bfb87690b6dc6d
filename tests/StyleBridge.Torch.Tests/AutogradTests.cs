namespace StyleBridge.Torch.Tests;

public class AutogradTests
{
    // f(x) = Σ sin(x)·x² + (Σ x)³ / 10, in float64 so central differences are tight.
    private static Tensor F(Tensor x)
    {
        using var scope = TensorScope.Begin();
        var first = (x.Sin() * x.Square()).Sum();
        var s = x.Sum();
        return (first + s * s * s / 10).MoveToOuterScope();
    }

    [Fact]
    public void BackwardMatchesFiniteDifferences()
    {
        using var scope = TensorScope.Begin();
        double[] values = [0.3, -1.2, 0.7, 2.0];
        var x = Tensor.FromArray(values).RequiresGrad_();
        F(x).Backward();
        var grad = x.Grad!.ToArray<double>();
        const double h = 1e-6;
        for (int i = 0; i < values.Length; i++)
        {
            var plus = (double[])values.Clone();
            var minus = (double[])values.Clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (F(Tensor.FromArray(plus)).Item<double>() - F(Tensor.FromArray(minus)).Item<double>()) / (2 * h);
            Assert.Equal(numeric, grad[i], 6);
        }
    }

    [Fact]
    public void SecondOrderGradientWithCreateGraph()
    {
        using var scope = TensorScope.Begin();
        double[] values = [0.5, -0.25, 1.5];
        var x = Tensor.FromArray(values).RequiresGrad_();
        var y = F(x);
        var g = Autograd.Grad([y], [x], createGraph: true)[0]!;
        // A gradient penalty: ‖∇f‖², then its gradient (Hessian-vector product 2·H·∇f).
        var penalty = g.Square().Sum();
        var hvp = Autograd.Grad([penalty], [x])[0]!.ToArray<double>();

        const double h = 1e-5;
        double Penalty(double[] v)
        {
            using var s = TensorScope.Begin();
            var xv = Tensor.FromArray(v).RequiresGrad_();
            var gv = Autograd.Grad([F(xv)], [xv])[0]!;
            return gv.Square().Sum().Item<double>();
        }

        for (int i = 0; i < values.Length; i++)
        {
            var plus = (double[])values.Clone();
            var minus = (double[])values.Clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (Penalty(plus) - Penalty(minus)) / (2 * h);
            Assert.True(Math.Abs(numeric - hvp[i]) < 1e-5 * Math.Max(1, Math.Abs(numeric)), $"d penalty/dx{i}: numeric {numeric}, autograd {hvp[i]}");
        }
    }

    [Fact]
    public void DetachNoGradAndUnusedInputs()
    {
        using var scope = TensorScope.Begin();
        var x = LibTorch.Ones([3]).RequiresGrad_();
        var unused = LibTorch.Ones([2]).RequiresGrad_();
        Assert.False(x.Detach().RequiresGrad);
        using (LibTorch.NoGrad())
            Assert.False((x * 2).RequiresGrad);
        var grads = Autograd.Grad([(x * 3).Sum()], [x, unused]);
        Assert.Equal(new float[] { 3, 3, 3 }, grads[0]!.ToArray<float>());
        Assert.Null(grads[1]);
        Assert.Null(x.Grad);
        (x * x).Sum().Backward();
        Assert.Equal(new float[] { 2, 2, 2 }, x.Grad!.ToArray<float>());
        x.SetGrad(null);
        Assert.Null(x.Grad);
    }
}
