namespace StyleBridge.Torch.Tests;

[Collection(NativeStateCollection.Name)]
public class ScopeTests
{
    [Fact]
    public void ScopeDisposesWhatItOwnsExceptWhatMovesOut()
    {
        long before = TorchDiagnostics.LiveTensors;
        Tensor kept;
        Tensor inner;
        using (var outer = TensorScope.Begin())
        {
            using (var scope = TensorScope.Begin())
            {
                var a = LibTorch.Ones([3]);
                var b = a * 2;
                inner = (b + 1).MoveToOuterScope();
                Assert.Equal(2, scope.Count);
            }

            Assert.False(inner.IsDisposed);
            Assert.Equal(1, outer.Count);
            kept = (inner * 3).DetachFromScope();
        }

        Assert.True(inner.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.Equal(new float[] { 9, 9, 9 }, kept.ToArray<float>());
        kept.Dispose();
        Assert.Equal(before, TorchDiagnostics.LiveTensors);
    }

    [Fact]
    public void OutOfOrderDisposalThrows()
    {
        var outer = TensorScope.Begin();
        var inner = TensorScope.Begin();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        outer.Dispose();
    }

    [Fact]
    public void DisposingOnAnotherThreadThrows()
    {
        var scope = TensorScope.Begin();
        Exception? seen = null;
        var thread = new Thread(() => seen = Record.Exception(() => scope.Dispose()));
        thread.Start();
        thread.Join();
        Assert.IsType<InvalidOperationException>(seen);
        scope.Dispose();
    }

    [Fact]
    public void StrictModeRefusesUnscopedTensors()
    {
        TensorScope.Strict = true;
        try
        {
            long before = TorchDiagnostics.LiveTensors;
            Assert.Throws<InvalidOperationException>(() => LibTorch.Ones([2]));
            Assert.Equal(before, TorchDiagnostics.LiveTensors);
            using var scope = TensorScope.Begin();
            Assert.Equal(2, LibTorch.Ones([2]).Numel);
        }
        finally
        {
            TensorScope.Strict = false;
        }
    }

    [Fact]
    public void GradModeGuardsRestoreAndAreThreadBound()
    {
        Assert.True(LibTorch.IsGradEnabled);
        using (LibTorch.NoGrad())
        {
            Assert.False(LibTorch.IsGradEnabled);
            using (LibTorch.EnableGrad())
                Assert.True(LibTorch.IsGradEnabled);
            Assert.False(LibTorch.IsGradEnabled);
        }

        Assert.True(LibTorch.IsGradEnabled);
        var guard = LibTorch.NoGrad();
        Exception? seen = null;
        var thread = new Thread(() => seen = Record.Exception(() => guard.Dispose()));
        thread.Start();
        thread.Join();
        Assert.IsType<InvalidOperationException>(seen);
        guard.Dispose();
        Assert.True(LibTorch.IsGradEnabled);

        using var scope = TensorScope.Begin();
        using (LibTorch.InferenceMode())
            Assert.True(LibTorch.Ones([1]).IsInference);
        Assert.False(LibTorch.Ones([1]).IsInference);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeStateCollection
{
    public const string Name = "Native state";
}
