using StyleBridge.Benchmarks;
using StyleBridge.Torch;

// `make bench`: our binding against python3-torch on the same libtorch, in one run, at one thread count.
int threads = args.Length > 0 ? int.Parse(args[0]) : Environment.ProcessorCount;
string[] only = args.Skip(1).ToArray();
bool Wanted(string group) => only.Length == 0 || only.Contains(group);

LibTorch.SetNumThreads(threads);
Console.WriteLine($"libtorch {LibTorch.Version}, {threads} threads, OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY")} (the Python side inherits it)");

var peaks = OpBenchmarks.Run(threads);
if (Wanted("clip"))
    ClipBenchmarks.Run(threads, peaks);
if (Wanted("sg2"))
    StyleGanBenchmarks.Run(threads, peaks);
