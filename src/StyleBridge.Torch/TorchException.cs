namespace StyleBridge.Torch;

/// <summary>The status codes of the native shim (sbtorch.h).</summary>
public enum TorchErrorCode
{
    Torch = 1,
    Argument = 2,
    DeviceOutOfMemory = 3,
    DeviceFatal = 4,
    Unsupported = 5,
    HostOutOfMemory = 6,
    Std = 7,
    Unknown = 8,
    Io = 9,
}

/// <summary>A libtorch failure, carrying libtorch's message (without its C++ backtrace, kept apart).</summary>
public class TorchException : Exception
{
    public TorchException(TorchErrorCode code, string message, string? nativeBacktrace)
        : base(message)
    {
        Code = code;
        NativeBacktrace = string.IsNullOrEmpty(nativeBacktrace) ? null : nativeBacktrace;
    }

    public TorchErrorCode Code { get; }

    /// <summary>The operation that failed, as the shim names it (the text before the first colon).</summary>
    public string Op => Message.Split(':', 2)[0];

    /// <summary>libtorch's full text with its C++ backtrace; for logs, never for clients.</summary>
    public string? NativeBacktrace { get; }
}

public sealed class TorchArgumentException(TorchErrorCode code, string message, string? backtrace)
    : TorchException(code, message, backtrace);

public sealed class TorchOutOfMemoryException(TorchErrorCode code, string message, string? backtrace)
    : TorchException(code, message, backtrace);

/// <summary>A sticky device error (e.g. a CUDA device-side assert): the device must not be used again.</summary>
public sealed class TorchDeviceFatalException(TorchErrorCode code, string message, string? backtrace)
    : TorchException(code, message, backtrace);

public sealed class TorchUnsupportedException(TorchErrorCode code, string message, string? backtrace)
    : TorchException(code, message, backtrace);
