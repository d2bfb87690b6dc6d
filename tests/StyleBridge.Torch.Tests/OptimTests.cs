using StyleBridge.Torch.Optim;
using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests;

public class OptimTests
{
    private static double[] Run(Func<Tensor, Adam> make)
    {
        using var scope = TensorScope.Begin();
        var p = Tensor.FromArray(new float[] { 1.0f, -2.0f, 0.5f, 3.0f }).RequiresGrad_();
        var target = Tensor.FromArray(new float[] { 0.1f, 0.2f, -0.3f, 0.4f });
        using var opt = make(p);
        for (int i = 0; i < 5; i++)
        {
            opt.ZeroGrad();
            ((p - target).Square() * (p + 3)).Sum().Backward();
            opt.Step();
        }

        return p.Detach().To(ScalarType.Float64).ToArray<double>();
    }

    [Fact]
    public void AdamAndAdamWMatchTorchOptim()
    {
        var adam = Run(p => new Adam([p], lr: 0.1, betas: (0.8, 0.99), eps: 1e-6, weightDecay: 0.05));
        var adamw = Run(p => new AdamW([p], lr: 0.1, betas: (0.8, 0.99), eps: 1e-6, weightDecay: 0.05));
        var py = PythonTorch.RunForArrays(PythonTorch.Prelude + """
for name, cls in (('adam', torch.optim.Adam), ('adamw', torch.optim.AdamW)):
    p = torch.tensor([1.0, -2.0, 0.5, 3.0], requires_grad=True)
    target = torch.tensor([0.1, 0.2, -0.3, 0.4])
    opt = cls([p], lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)
    for i in range(5):
        opt.zero_grad()
        ((p - target).square() * (p + 3)).sum().backward()
        opt.step()
    put(name, p)
""" + PythonTorch.Epilogue);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(py["adam"][i], adam[i], 6);
            Assert.Equal(py["adamw"][i], adamw[i], 6);
        }

        Assert.NotEqual(adam[0], adamw[0]);
    }

    [Fact]
    public void EmaTracksParameters()
    {
        using var net = new NN.Linear(2, 1);
        using var shadow = new NN.Linear(2, 1);
        using var ema = new Ema(net, decay: 0.5);
        using var scope = TensorScope.Begin();
        var start = net.Weight.Detach().Clone();
        using (LibTorch.NoGrad())
            net.Weight.Add_(2.0);
        ema.Update();
        ema.CopyTo(shadow);
        var expected = (start + 1).ToArray<float>();
        var actual = shadow.Weight.Detach().ToArray<float>();
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], 5);
    }
}
