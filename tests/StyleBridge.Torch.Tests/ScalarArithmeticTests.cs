using StyleBridge.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBridge.Torch.Tests;

/// <summary>The owned-Scalar arithmetic gives TorchSharp's implicit-Scalar results exactly, in and out of place.</summary>
public sealed class ScalarArithmeticTests
{
    [Fact]
    public void Ops_MatchTheImplicitScalarOps()
    {
        using var scope = NewDisposeScope();
        var x = linspace(-3, 3, 13);
        Assert.True(x.MulScalar(1.702).allclose(x.mul(1.702), 0, 0));
        Assert.True(x.AddScalar(0.5).allclose(x.add(0.5), 0, 0));
        Assert.True(x.SubScalar(0.5).allclose(x.sub(0.5), 0, 0));
        Assert.True(x.DivScalar(3).allclose(x.div(3), 0, 0));
        Assert.True(x.RsubScalar(1).allclose(x.neg().add(1), 0, 0));
        Assert.True(x.ClampScalar(-1, 2).allclose(x.clamp(-1, 2), 0, 0));
        var y = x.clone();
        Assert.Same(y, y.MulScalar_(2));
        Assert.True(y.allclose(x.mul(2), 0, 0));
        y.AddScalar_(1).ClampScalar_(0, 4);
        Assert.True(y.allclose(x.mul(2).add(1).clamp(0, 4), 0, 0));
    }

    [Fact]
    public void Ops_LeaveOnlyTheirResult()
    {
        using var x = ones(4);
        long before = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        using (var r = x.RsubScalar(3))
            Assert.Equal(2f, r.data<float>()[0]);
        Assert.Equal(before, DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
    }
}
