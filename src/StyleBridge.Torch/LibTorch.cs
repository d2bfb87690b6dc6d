using StyleBridge.Torch.Native;

namespace StyleBridge.Torch;

/// <summary>
/// Factories, process settings and modes: PyTorch's <c>torch.*</c> functions (<c>torch.randn</c> is <c>LibTorch.Randn</c>).
/// </summary>
public static class LibTorch
{
    public static unsafe string Version => Status.ReadString(static (buf, cap) => NativeMethods.sb_torch_version(buf, cap));

    public static int AbiVersion => NativeMethods.sb_abi_version();

    public static int NumThreads
    {
        get
        {
            Status.Check(NativeMethods.sb_get_num_threads(out int n));
            return n;
        }
    }

    public static void SetNumThreads(int threads) => Status.Check(NativeMethods.sb_set_num_threads(threads));

    /// <summary>Only before the first parallel op of the process, as in libtorch.</summary>
    public static void SetNumInteropThreads(int threads) => Status.Check(NativeMethods.sb_set_num_interop_threads(threads));

    /// <summary>Seeds the global generators, as <c>torch.manual_seed</c>.</summary>
    public static void ManualSeed(long seed) => Status.Check(NativeMethods.sb_manual_seed(seed));

    // ---- factories ----
    public static unsafe Tensor Full(ReadOnlySpan<long> shape, double value, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        IntPtr r;
        fixed (long* s = shape)
            Status.Check(NativeMethods.sb_full(s, shape.Length, value, (int)dtype, (int)d.Type, d.NativeIndex, out r));
        return Tensor.Wrap(r);
    }

    public static Tensor Zeros(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null) => Full(shape, 0, dtype, device);

    public static Tensor Ones(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null) => Full(shape, 1, dtype, device);

    public static unsafe Tensor Empty(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        IntPtr r;
        fixed (long* s = shape)
            Status.Check(NativeMethods.sb_empty(s, shape.Length, (int)dtype, (int)d.Type, d.NativeIndex, out r));
        return Tensor.Wrap(r);
    }

    /// <summary>A 0-dim tensor holding one value.</summary>
    public static Tensor Scalar(double value, ScalarType dtype = ScalarType.Float32, Device? device = null) => Full([], value, dtype, device);

    public static Tensor Arange(double end, ScalarType dtype = ScalarType.Int64, Device? device = null) => Arange(0, end, 1, dtype, device);

    public static Tensor Arange(double start, double end, double step = 1, ScalarType dtype = ScalarType.Int64, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        Status.Check(NativeMethods.sb_arange(start, end, step, (int)dtype, (int)d.Type, d.NativeIndex, out IntPtr r));
        return Tensor.Wrap(r);
    }

    public static Tensor Linspace(double start, double end, long steps, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        Status.Check(NativeMethods.sb_linspace(start, end, steps, (int)dtype, (int)d.Type, d.NativeIndex, out IntPtr r));
        return Tensor.Wrap(r);
    }

    private static unsafe Tensor Random(int kind, ReadOnlySpan<long> shape, Generator? generator, ScalarType dtype, Device? device)
    {
        var d = device ?? generator?.Device ?? Device.Cpu;
        IntPtr r;
        fixed (long* s = shape)
            Status.Check(NativeMethods.sb_random(kind, s, shape.Length, generator?.Ptr ?? IntPtr.Zero, (int)dtype, (int)d.Type, d.NativeIndex, out r));
        GC.KeepAlive(generator);
        return Tensor.Wrap(r);
    }

    /// <summary>Standard normal samples; without a generator, from the global one (<see cref="ManualSeed"/>).</summary>
    public static Tensor Randn(ReadOnlySpan<long> shape, Generator? generator = null, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Random(0, shape, generator, dtype, device);

    public static Tensor Rand(ReadOnlySpan<long> shape, Generator? generator = null, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Random(1, shape, generator, dtype, device);

    public static unsafe Tensor Randint(long low, long high, ReadOnlySpan<long> shape, Generator? generator = null, ScalarType dtype = ScalarType.Int64, Device? device = null)
    {
        var d = device ?? generator?.Device ?? Device.Cpu;
        IntPtr r;
        fixed (long* s = shape)
            Status.Check(NativeMethods.sb_randint(low, high, s, shape.Length, generator?.Ptr ?? IntPtr.Zero, (int)dtype, (int)d.Type, d.NativeIndex, out r));
        GC.KeepAlive(generator);
        return Tensor.Wrap(r);
    }

    // ---- joining ----
    public static unsafe Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        using var handles = new BorrowedHandles(tensors);
        IntPtr r;
        fixed (IntPtr* p = handles.Ptrs)
            Status.Check(NativeMethods.sb_cat(p, handles.Ptrs.Length, dim, out r));
        return Tensor.Wrap(r);
    }

    public static unsafe Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        using var handles = new BorrowedHandles(tensors);
        IntPtr r;
        fixed (IntPtr* p = handles.Ptrs)
            Status.Check(NativeMethods.sb_stack(p, handles.Ptrs.Length, dim, out r));
        return Tensor.Wrap(r);
    }

    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        Status.Check(NativeMethods.sb_where(condition.Handle, a.Handle, b.Handle, out IntPtr r));
        return Tensor.Wrap(r);
    }

    public static unsafe Tensor Einsum(string equation, params Tensor[] operands)
    {
        using var handles = new BorrowedHandles(operands);
        IntPtr r;
        fixed (IntPtr* p = handles.Ptrs)
            Status.Check(NativeMethods.sb_einsum(equation, p, handles.Ptrs.Length, out r));
        return Tensor.Wrap(r);
    }

    // ---- archives ----

    /// <summary>Every parameter and buffer of a TorchScript archive by dotted name, loaded to the CPU.</summary>
    public static List<(string Name, Tensor Tensor)> JitLoadNamedTensors(string path)
    {
        Status.Check(NativeMethods.sb_jit_load_named_tensors(path, out IntPtr list));
        return TensorList.TakeNamed(list);
    }

    // ---- modes ----

    /// <summary>Disables gradient recording on this thread until disposed (restores the previous state).</summary>
    public static IDisposable NoGrad() => new GradModeGuard(false);

    public static IDisposable EnableGrad() => new GradModeGuard(true);

    /// <summary>
    /// libtorch's inference mode on this thread: faster than no-grad, but tensors made inside can never join an
    /// autograd graph. Dispose on the same thread.
    /// </summary>
    public static IDisposable InferenceMode() => new InferenceModeGuard();

    public static bool IsGradEnabled
    {
        get
        {
            Status.Check(NativeMethods.sb_grad_is_enabled(out int e));
            return e != 0;
        }
    }

    private sealed class GradModeGuard : IDisposable
    {
        private readonly bool previous;
        private readonly int threadId = Environment.CurrentManagedThreadId;
        private bool disposed;

        public GradModeGuard(bool enabled)
        {
            previous = IsGradEnabled;
            Status.Check(NativeMethods.sb_grad_set_enabled(enabled ? (byte)1 : (byte)0));
        }

        public void Dispose()
        {
            if (disposed)
                return;
            if (Environment.CurrentManagedThreadId != threadId)
                throw new InvalidOperationException("grad mode is per thread: dispose the guard on the thread that created it");
            disposed = true;
            Status.Check(NativeMethods.sb_grad_set_enabled(previous ? (byte)1 : (byte)0));
        }
    }

    private sealed class InferenceModeGuard : IDisposable
    {
        private IntPtr token;

        public InferenceModeGuard() => Status.Check(NativeMethods.sb_inference_mode_enter(out token));

        public void Dispose()
        {
            if (token == IntPtr.Zero)
                return;
            Status.Check(NativeMethods.sb_inference_mode_exit(token));
            token = IntPtr.Zero;
        }
    }
}
