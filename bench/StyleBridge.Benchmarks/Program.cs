using StyleBridge.Benchmarks;

// `make bench`: our TorchSharp-based code against python3-torch on the same libtorch, in one run, at one thread count.
// Arguments: [threads] [group ...]; the op benchmarks (the peaks) always run, the groups "clip" and "sg2" only when
// no group is named or when named (so `-- 4 ops` runs the op benchmarks alone); "t2i" (the Shapes request path) runs by
// default too, "t2i-ffhq" (the 1024² path with random weights, minutes on a CPU) only when named.
int threads = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : Environment.ProcessorCount;
string[] only = args.Skip(1).ToArray();
bool Wanted(string group) => only.Length == 0 || only.Contains(group);

// First: the OpenMP wait policy and host allocator before libtorch loads, then the thread count.
TorchRuntime.Initialize(threads);
var torchSharp = typeof(torch).Assembly.GetName().Version;
Console.WriteLine($"TorchSharp {torchSharp?.Major}.{torchSharp?.Minor} / libtorch {TorchRuntime.LibTorchVersion}, {torch.get_num_threads()} threads, OMP_WAIT_POLICY={Environment.GetEnvironmentVariable(TorchRuntime.WaitPolicyVariable)} (the Python side inherits it)");

var peaks = OpBenchmarks.Run(threads);
if (Wanted("clip"))
    ClipBenchmarks.Run(threads, peaks);
if (Wanted("sg2"))
    StyleGanBenchmarks.Run(threads, peaks);
if (Wanted("t2i"))
    TextToImageBenchmarks.RunShapes();
if (only.Contains("t2i-ffhq"))
    TextToImageBenchmarks.RunFfhq();
if (Wanted("edit"))
    EditBenchmarks.RunShapes();
if (only.Contains("edit-ffhq"))
    EditBenchmarks.RunFfhq();
