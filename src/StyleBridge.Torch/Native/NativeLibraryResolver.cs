using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StyleBridge.Torch.Native;

/// <summary>
/// Finds libsbtorch.so: the directory named by STYLEBRIDGE_NATIVE_DIR, then the assembly's own directory, then the
/// system loader. The first successful load is checked against the ABI version this assembly was built for, so a
/// mismatched native/managed pair fails at the first tensor call with a clear message.
/// </summary>
internal static class NativeLibraryResolver
{
    private static readonly List<string> ProbeTrace = [];

#pragma warning disable CA2255 // registering a resolver is the documented use of a library module initializer
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);

    /// <summary>Every path tried and why it failed, for the error message of a failed load.</summary>
    public static IReadOnlyList<string> Trace
    {
        get
        {
            lock (ProbeTrace)
                return ProbeTrace.ToArray();
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != NativeMethods.Lib)
            return IntPtr.Zero;

        NativeThreading.ApplyDefaults();

        var candidates = new List<string>();
        string? fromEnv = Environment.GetEnvironmentVariable("STYLEBRIDGE_NATIVE_DIR");
        if (!string.IsNullOrEmpty(fromEnv))
            candidates.Add(Path.Combine(fromEnv, "libsbtorch.so"));
        candidates.Add(Path.Combine(AppContext.BaseDirectory, "libsbtorch.so"));
        string? assemblyDir = Path.GetDirectoryName(assembly.Location);
        if (!string.IsNullOrEmpty(assemblyDir))
            candidates.Add(Path.Combine(assemblyDir, "libsbtorch.so"));

        foreach (string path in candidates.Distinct())
        {
            if (!File.Exists(path))
            {
                Record($"{path}: not found");
                continue;
            }

            try
            {
                IntPtr lib = NativeLibrary.Load(path);
                CheckAbi(lib, path);
                Record($"{path}: loaded");
                return lib;
            }
            catch (DllNotFoundException e)
            {
                // Keep the OS loader's own words: they name the missing libtorch dependency.
                Record($"{path}: {e.Message}");
                throw new DllNotFoundException($"cannot load {path}: {e.Message}", e);
            }
        }

        if (NativeLibrary.TryLoad("libsbtorch.so", assembly, searchPath, out IntPtr fallback))
        {
            CheckAbi(fallback, "libsbtorch.so (system search path)");
            return fallback;
        }

        throw new DllNotFoundException(
            "libsbtorch.so was not found; build it with `make native`. Tried: " + string.Join("; ", Trace));
    }

    private static unsafe void CheckAbi(IntPtr lib, string path)
    {
        var abi = (delegate* unmanaged<int>)NativeLibrary.GetExport(lib, "sb_abi_version");
        int version = abi();
        if (version != ExpectedAbiVersion)
            throw new InvalidOperationException(
                $"{path} implements sbtorch ABI {version}, but StyleBridge.Torch expects {ExpectedAbiVersion}; rebuild with `make native`");
    }

    internal const int ExpectedAbiVersion = 2;

    private static void Record(string line)
    {
        lock (ProbeTrace)
            ProbeTrace.Add(line);
    }
}
