namespace StyleBridge.Engine.Evaluation;

/// <summary>
/// The Fréchet distance between two Gaussians fitted to feature sets (FID's formula):
/// <c>‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½)</c>. The trace of the matrix square root is taken as the sum of the square
/// roots of the eigenvalues of <c>Σ₁^½ Σ₂ Σ₁^½</c> (symmetric, similar to Σ₁Σ₂), all in float64.
/// </summary>
public static class FrechetDistance
{
    public static double Between(Tensor features1, Tensor features2)
    {
        if (features1.dim() != 2 || features2.dim() != 2 || features1.size(1) != features2.size(1) || features1.size(0) < 2 || features2.size(0) < 2)
            throw new ArgumentException($"expected two [N ≥ 2, D] feature sets of one width, got {TensorBytes.Format(features1.shape)} and {TensorBytes.Format(features2.shape)}");
        using var scope = NewDisposeScope();
        var (mu1, sigma1) = Moments(features1);
        var (mu2, sigma2) = Moments(features2);
        var root1 = SymmetricSqrt(sigma1);
        var middle = root1.matmul(sigma2).matmul(root1);
        middle = middle.add(middle.t()).div(2);
        var traceSqrt = linalg.eigvalsh(middle, 'L').clamp_min(0).sqrt().sum().item<double>();
        double meanTerm = mu1.sub(mu2).square().sum().item<double>();
        return meanTerm + sigma1.trace().item<double>() + sigma2.trace().item<double>() - 2 * traceSqrt;
    }

    private static (Tensor Mean, Tensor Covariance) Moments(Tensor features)
    {
        var x = features.to(ScalarType.Float64);
        var mean = x.mean([0]);
        var centred = x.sub(mean);
        return (mean, centred.t().matmul(centred).div(x.size(0) - 1));
    }

    private static Tensor SymmetricSqrt(Tensor matrix)
    {
        var (values, vectors) = linalg.eigh(matrix, 'L');
        return vectors.mul(values.clamp_min(0).sqrt()).matmul(vectors.t());
    }
}
