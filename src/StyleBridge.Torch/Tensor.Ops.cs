using StyleBridge.Torch.Native;

namespace StyleBridge.Torch;

// Elementwise math, comparisons, reductions and in-place updates, with PyTorch's semantics (broadcasting,
// type promotion, negative dims).
public sealed partial class Tensor
{
    private Tensor Unary(UnaryOp op)
    {
        Status.Check(NativeMethods.sb_unary((int)op, Handle, out IntPtr r));
        return Wrap(r);
    }

    private Tensor UnaryInPlace(UnaryOp op)
    {
        Status.Check(NativeMethods.sb_unary_((int)op, Handle));
        return this;
    }

    private Tensor Binary(BinaryOp op, Tensor other)
    {
        Status.Check(NativeMethods.sb_binary((int)op, Handle, other.Handle, out IntPtr r));
        return Wrap(r);
    }

    private Tensor BinaryInPlace(BinaryOp op, Tensor other)
    {
        Status.Check(NativeMethods.sb_binary_((int)op, Handle, other.Handle));
        return this;
    }

    private Tensor BinaryScalar(BinaryOp op, double value)
    {
        Status.Check(NativeMethods.sb_binary_scalar((int)op, Handle, value, out IntPtr r));
        return Wrap(r);
    }

    private Tensor BinaryScalarInPlace(BinaryOp op, double value)
    {
        Status.Check(NativeMethods.sb_binary_scalar_((int)op, Handle, value));
        return this;
    }

    private static Tensor ScalarFirst(BinaryOp op, double value, Tensor t)
    {
        Status.Check(NativeMethods.sb_scalar_binary((int)op, value, t.Handle, out IntPtr r));
        return Wrap(r);
    }

    // ---- unary ----
    public Tensor Neg() => Unary(UnaryOp.Neg);
    public Tensor Abs() => Unary(UnaryOp.Abs);
    public Tensor Sqrt() => Unary(UnaryOp.Sqrt);
    public Tensor Rsqrt() => Unary(UnaryOp.Rsqrt);
    public Tensor Exp() => Unary(UnaryOp.Exp);
    public Tensor Log() => Unary(UnaryOp.Log);
    public Tensor Log2() => Unary(UnaryOp.Log2);
    public Tensor Log1p() => Unary(UnaryOp.Log1p);
    public Tensor Expm1() => Unary(UnaryOp.Expm1);
    public Tensor Sin() => Unary(UnaryOp.Sin);
    public Tensor Cos() => Unary(UnaryOp.Cos);
    public Tensor Sinh() => Unary(UnaryOp.Sinh);
    public Tensor Atan() => Unary(UnaryOp.Atan);
    public Tensor Acos() => Unary(UnaryOp.Acos);
    public Tensor Tanh() => Unary(UnaryOp.Tanh);
    public Tensor Sigmoid() => Unary(UnaryOp.Sigmoid);
    public Tensor Relu() => Unary(UnaryOp.Relu);
    public Tensor Silu() => Unary(UnaryOp.Silu);
    public Tensor Square() => Unary(UnaryOp.Square);
    public Tensor Floor() => Unary(UnaryOp.Floor);
    public Tensor Ceil() => Unary(UnaryOp.Ceil);
    public Tensor Round() => Unary(UnaryOp.Round);
    public Tensor Trunc() => Unary(UnaryOp.Trunc);
    public Tensor Sign() => Unary(UnaryOp.Sign);
    public Tensor Reciprocal() => Unary(UnaryOp.Reciprocal);
    public Tensor Erf() => Unary(UnaryOp.Erf);
    public Tensor LogicalNot() => Unary(UnaryOp.LogicalNot);
    public Tensor IsNan() => Unary(UnaryOp.IsNan);
    public Tensor IsFinite() => Unary(UnaryOp.IsFinite);
    public Tensor Contiguous() => Unary(UnaryOp.Contiguous);
    public Tensor Clone() => Unary(UnaryOp.Clone);
    public Tensor ZerosLike() => Unary(UnaryOp.ZerosLike);
    public Tensor OnesLike() => Unary(UnaryOp.OnesLike);
    public Tensor EmptyLike() => Unary(UnaryOp.EmptyLike);

    public Tensor Neg_() => UnaryInPlace(UnaryOp.Neg);
    public Tensor Abs_() => UnaryInPlace(UnaryOp.Abs);
    public Tensor Sqrt_() => UnaryInPlace(UnaryOp.Sqrt);
    public Tensor Exp_() => UnaryInPlace(UnaryOp.Exp);
    public Tensor Sigmoid_() => UnaryInPlace(UnaryOp.Sigmoid);
    public Tensor Relu_() => UnaryInPlace(UnaryOp.Relu);
    public Tensor Zero_() => UnaryInPlace(UnaryOp.Zero);

    public Tensor LeakyRelu(double negativeSlope = 0.01)
    {
        Status.Check(NativeMethods.sb_leaky_relu(Handle, negativeSlope, out IntPtr r));
        return Wrap(r);
    }

    public Tensor LeakyRelu_(double negativeSlope = 0.01)
    {
        Status.Check(NativeMethods.sb_leaky_relu_(Handle, negativeSlope));
        return this;
    }

    public Tensor Gelu(bool tanhApproximation = false)
    {
        Status.Check(NativeMethods.sb_gelu(Handle, tanhApproximation ? (byte)1 : (byte)0, out IntPtr r));
        return Wrap(r);
    }

    public Tensor Clamp(double? min = null, double? max = null)
    {
        Status.Check(NativeMethods.sb_clamp(Handle, min ?? 0, min.HasValue ? (byte)1 : (byte)0, max ?? 0, max.HasValue ? (byte)1 : (byte)0, out IntPtr r));
        return Wrap(r);
    }

    public Tensor Clamp_(double? min = null, double? max = null)
    {
        Status.Check(NativeMethods.sb_clamp_(Handle, min ?? 0, min.HasValue ? (byte)1 : (byte)0, max ?? 0, max.HasValue ? (byte)1 : (byte)0));
        return this;
    }

    // ---- binary ----
    public Tensor Add(Tensor other) => Binary(BinaryOp.Add, other);
    public Tensor Add(double value) => BinaryScalar(BinaryOp.Add, value);

    /// <summary>this + alpha * other.</summary>
    public Tensor Add(Tensor other, double alpha)
    {
        Status.Check(NativeMethods.sb_add_scaled(Handle, other.Handle, alpha, out IntPtr r));
        return Wrap(r);
    }

    public Tensor Sub(Tensor other) => Binary(BinaryOp.Sub, other);
    public Tensor Sub(double value) => BinaryScalar(BinaryOp.Sub, value);
    public Tensor Mul(Tensor other) => Binary(BinaryOp.Mul, other);
    public Tensor Mul(double value) => BinaryScalar(BinaryOp.Mul, value);
    public Tensor Div(Tensor other) => Binary(BinaryOp.Div, other);
    public Tensor Div(double value) => BinaryScalar(BinaryOp.Div, value);
    public Tensor Pow(Tensor exponent) => Binary(BinaryOp.Pow, exponent);
    public Tensor Pow(double exponent) => BinaryScalar(BinaryOp.Pow, exponent);
    public Tensor Remainder(Tensor other) => Binary(BinaryOp.Remainder, other);
    public Tensor Remainder(double value) => BinaryScalar(BinaryOp.Remainder, value);
    public Tensor FloorDivide(Tensor other) => Binary(BinaryOp.FloorDivide, other);
    public Tensor FloorDivide(double value) => BinaryScalar(BinaryOp.FloorDivide, value);
    public Tensor Maximum(Tensor other) => Binary(BinaryOp.Maximum, other);
    public Tensor Minimum(Tensor other) => Binary(BinaryOp.Minimum, other);
    public Tensor Atan2(Tensor other) => Binary(BinaryOp.Atan2, other);
    public Tensor LogicalAnd(Tensor other) => Binary(BinaryOp.LogicalAnd, other);
    public Tensor LogicalOr(Tensor other) => Binary(BinaryOp.LogicalOr, other);
    public Tensor Eq(Tensor other) => Binary(BinaryOp.Eq, other);
    public Tensor Eq(double value) => BinaryScalar(BinaryOp.Eq, value);
    public Tensor Ne(Tensor other) => Binary(BinaryOp.Ne, other);
    public Tensor Ne(double value) => BinaryScalar(BinaryOp.Ne, value);
    public Tensor Lt(Tensor other) => Binary(BinaryOp.Lt, other);
    public Tensor Lt(double value) => BinaryScalar(BinaryOp.Lt, value);
    public Tensor Le(Tensor other) => Binary(BinaryOp.Le, other);
    public Tensor Le(double value) => BinaryScalar(BinaryOp.Le, value);
    public Tensor Gt(Tensor other) => Binary(BinaryOp.Gt, other);
    public Tensor Gt(double value) => BinaryScalar(BinaryOp.Gt, value);
    public Tensor Ge(Tensor other) => Binary(BinaryOp.Ge, other);
    public Tensor Ge(double value) => BinaryScalar(BinaryOp.Ge, value);
    public Tensor Matmul(Tensor other) => Binary(BinaryOp.Matmul, other);
    public Tensor Mm(Tensor other) => Binary(BinaryOp.Mm, other);
    public Tensor Bmm(Tensor other) => Binary(BinaryOp.Bmm, other);

    /// <summary>s - this.</summary>
    public Tensor RSub(double value) => ScalarFirst(BinaryOp.Sub, value, this);

    /// <summary>s / this.</summary>
    public Tensor RDiv(double value) => ScalarFirst(BinaryOp.Div, value, this);

    public Tensor Lerp(Tensor end, double weight)
    {
        Status.Check(NativeMethods.sb_lerp(Handle, end.Handle, IntPtr.Zero, weight, out IntPtr r));
        return Wrap(r);
    }

    public Tensor Lerp(Tensor end, Tensor weight)
    {
        using var w = new BorrowedHandle(weight);
        Status.Check(NativeMethods.sb_lerp(Handle, end.Handle, w.Ptr, 0, out IntPtr r));
        return Wrap(r);
    }

    public Tensor MaskedFill(Tensor mask, double value)
    {
        Status.Check(NativeMethods.sb_masked_fill(Handle, mask.Handle, value, out IntPtr r));
        return Wrap(r);
    }

    // ---- in place ----
    public Tensor Add_(Tensor other) => BinaryInPlace(BinaryOp.Add, other);
    public Tensor Add_(double value) => BinaryScalarInPlace(BinaryOp.Add, value);

    public Tensor Add_(Tensor other, double alpha)
    {
        Status.Check(NativeMethods.sb_add_scaled_(Handle, other.Handle, alpha));
        return this;
    }

    public Tensor Sub_(Tensor other) => BinaryInPlace(BinaryOp.Sub, other);
    public Tensor Sub_(double value) => BinaryScalarInPlace(BinaryOp.Sub, value);
    public Tensor Mul_(Tensor other) => BinaryInPlace(BinaryOp.Mul, other);
    public Tensor Mul_(double value) => BinaryScalarInPlace(BinaryOp.Mul, value);
    public Tensor Div_(Tensor other) => BinaryInPlace(BinaryOp.Div, other);
    public Tensor Div_(double value) => BinaryScalarInPlace(BinaryOp.Div, value);
    public Tensor Pow_(double value) => BinaryScalarInPlace(BinaryOp.Pow, value);
    public Tensor Copy_(Tensor source) => BinaryInPlace(BinaryOp.Copy, source);
    public Tensor Fill_(double value) => BinaryScalarInPlace(BinaryOp.Copy, value);

    /// <summary>this += value * a * b.</summary>
    public Tensor Addcmul_(Tensor a, Tensor b, double value = 1)
    {
        Status.Check(NativeMethods.sb_addcmul_(Handle, a.Handle, b.Handle, value));
        return this;
    }

    /// <summary>this += value * a / b.</summary>
    public Tensor Addcdiv_(Tensor a, Tensor b, double value = 1)
    {
        Status.Check(NativeMethods.sb_addcdiv_(Handle, a.Handle, b.Handle, value));
        return this;
    }

    public Tensor Normal_(double mean = 0, double std = 1, Generator? generator = null)
    {
        Status.Check(NativeMethods.sb_normal_(Handle, mean, std, generator?.Ptr ?? IntPtr.Zero));
        GC.KeepAlive(generator);
        return this;
    }

    public Tensor Uniform_(double from = 0, double to = 1, Generator? generator = null)
    {
        Status.Check(NativeMethods.sb_uniform_(Handle, from, to, generator?.Ptr ?? IntPtr.Zero));
        GC.KeepAlive(generator);
        return this;
    }

    // ---- comparisons of whole tensors ----

    /// <summary>torch.equal: same shape and exactly the same values.</summary>
    public bool Equal(Tensor other)
    {
        Status.Check(NativeMethods.sb_equal(Handle, other.Handle, out int e));
        return e != 0;
    }

    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8)
    {
        Status.Check(NativeMethods.sb_allclose(Handle, other.Handle, rtol, atol, out int c));
        return c != 0;
    }

    // ---- reductions ----
    private unsafe Tensor Reduce(ReduceOp op, ReadOnlySpan<long> dims, bool keepdim, ScalarType? dtype = null)
    {
        IntPtr r;
        fixed (long* d = dims)
            Status.Check(NativeMethods.sb_reduce((int)op, Handle, d, dims.Length, keepdim ? (byte)1 : (byte)0, dtype is null ? -1 : (int)dtype.Value, out r));
        return Wrap(r);
    }

    public Tensor Sum(ScalarType? dtype = null) => Reduce(ReduceOp.Sum, default, false, dtype);
    public Tensor Sum(int dim, bool keepdim = false, ScalarType? dtype = null) => Reduce(ReduceOp.Sum, [dim], keepdim, dtype);
    public Tensor Sum(long[] dims, bool keepdim = false, ScalarType? dtype = null) => Reduce(ReduceOp.Sum, dims, keepdim, dtype);
    public Tensor Mean(ScalarType? dtype = null) => Reduce(ReduceOp.Mean, default, false, dtype);
    public Tensor Mean(int dim, bool keepdim = false, ScalarType? dtype = null) => Reduce(ReduceOp.Mean, [dim], keepdim, dtype);
    public Tensor Mean(long[] dims, bool keepdim = false, ScalarType? dtype = null) => Reduce(ReduceOp.Mean, dims, keepdim, dtype);
    public Tensor Amax(params long[] dims) => Reduce(ReduceOp.Amax, dims, false);
    public Tensor Amax(long[] dims, bool keepdim) => Reduce(ReduceOp.Amax, dims, keepdim);
    public Tensor Amin(params long[] dims) => Reduce(ReduceOp.Amin, dims, false);
    public Tensor Amin(long[] dims, bool keepdim) => Reduce(ReduceOp.Amin, dims, keepdim);
    public Tensor Max() => Reduce(ReduceOp.Amax, default, false);
    public Tensor Min() => Reduce(ReduceOp.Amin, default, false);
    public Tensor Prod(ScalarType? dtype = null) => Reduce(ReduceOp.Prod, default, false, dtype);
    public Tensor Prod(int dim, bool keepdim = false) => Reduce(ReduceOp.Prod, [dim], keepdim);
    public Tensor LogSumExp(int dim, bool keepdim = false) => Reduce(ReduceOp.LogSumExp, [dim], keepdim);
    public Tensor All() => Reduce(ReduceOp.All, default, false);
    public Tensor Any() => Reduce(ReduceOp.Any, default, false);

    public (Tensor Values, Tensor Indices) Max(int dim, bool keepdim = false)
    {
        Status.Check(NativeMethods.sb_minmax_dim(0, Handle, dim, keepdim ? (byte)1 : (byte)0, out IntPtr v, out IntPtr i));
        return (Wrap(v), Wrap(i));
    }

    public (Tensor Values, Tensor Indices) Min(int dim, bool keepdim = false)
    {
        Status.Check(NativeMethods.sb_minmax_dim(1, Handle, dim, keepdim ? (byte)1 : (byte)0, out IntPtr v, out IntPtr i));
        return (Wrap(v), Wrap(i));
    }

    public Tensor Argmax(int? dim = null, bool keepdim = false)
    {
        Status.Check(NativeMethods.sb_argminmax(0, Handle, dim ?? 0, dim.HasValue ? (byte)1 : (byte)0, keepdim ? (byte)1 : (byte)0, out IntPtr r));
        return Wrap(r);
    }

    public Tensor Argmin(int? dim = null, bool keepdim = false)
    {
        Status.Check(NativeMethods.sb_argminmax(1, Handle, dim ?? 0, dim.HasValue ? (byte)1 : (byte)0, keepdim ? (byte)1 : (byte)0, out IntPtr r));
        return Wrap(r);
    }

    public (Tensor Values, Tensor Indices) Topk(long k, int dim = -1, bool largest = true, bool sorted = true)
    {
        Status.Check(NativeMethods.sb_topk(Handle, k, dim, largest ? (byte)1 : (byte)0, sorted ? (byte)1 : (byte)0, out IntPtr v, out IntPtr i));
        return (Wrap(v), Wrap(i));
    }

    public (Tensor Values, Tensor Indices) Sort(int dim = -1, bool descending = false)
    {
        Status.Check(NativeMethods.sb_sort(Handle, dim, descending ? (byte)1 : (byte)0, out IntPtr v, out IntPtr i));
        return (Wrap(v), Wrap(i));
    }

    public Tensor Cumsum(int dim)
    {
        Status.Check(NativeMethods.sb_scan(0, Handle, dim, out IntPtr r));
        return Wrap(r);
    }

    public Tensor Cumprod(int dim)
    {
        Status.Check(NativeMethods.sb_scan(1, Handle, dim, out IntPtr r));
        return Wrap(r);
    }

    private unsafe Tensor VarStd(bool std, ReadOnlySpan<long> dims, long correction, bool keepdim)
    {
        IntPtr r;
        fixed (long* d = dims)
            Status.Check(NativeMethods.sb_var_std(std ? (byte)1 : (byte)0, Handle, d, dims.Length, correction, keepdim ? (byte)1 : (byte)0, out r));
        return Wrap(r);
    }

    /// <summary>Variance; correction 1 is Bessel's (PyTorch's default), 0 the biased estimate.</summary>
    public Tensor Var(long[]? dims = null, long correction = 1, bool keepdim = false) => VarStd(false, dims, correction, keepdim);

    public Tensor Std(long[]? dims = null, long correction = 1, bool keepdim = false) => VarStd(true, dims, correction, keepdim);

    /// <summary>Vector p-norm over <paramref name="dims"/> (all elements when null), as torch.linalg.vector_norm.</summary>
    public unsafe Tensor Norm(double p = 2, long[]? dims = null, bool keepdim = false)
    {
        IntPtr r;
        ReadOnlySpan<long> d = dims;
        fixed (long* pd = d)
            Status.Check(NativeMethods.sb_norm(Handle, p, pd, d.Length, keepdim ? (byte)1 : (byte)0, out r));
        return Wrap(r);
    }

    // ---- operators ----
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator +(Tensor a, double b) => a.Add(b);
    public static Tensor operator +(double a, Tensor b) => b.Add(a);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator -(Tensor a, double b) => a.Sub(b);
    public static Tensor operator -(double a, Tensor b) => b.RSub(a);
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator *(Tensor a, double b) => a.Mul(b);
    public static Tensor operator *(double a, Tensor b) => b.Mul(a);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator /(Tensor a, double b) => a.Div(b);
    public static Tensor operator /(double a, Tensor b) => b.RDiv(a);
    public static Tensor operator -(Tensor a) => a.Neg();
}
