using System.Text;

namespace StyleBridge.Torch.Native;

internal static class Status
{
    /// <summary>Turns a non-zero status into the managed exception for its code, with libtorch's message.</summary>
    public static void Check(int status)
    {
        if (status != 0)
            Throw(status);
    }

    private static unsafe void Throw(int status)
    {
        string message = ReadString(static (buf, cap) => NativeMethods.sb_error_message(buf, cap));
        string backtrace = ReadString(static (buf, cap) => NativeMethods.sb_error_backtrace(buf, cap));
        var code = (TorchErrorCode)status;
        throw code switch
        {
            TorchErrorCode.Argument => new TorchArgumentException(code, message, backtrace),
            TorchErrorCode.DeviceOutOfMemory or TorchErrorCode.HostOutOfMemory => new TorchOutOfMemoryException(code, message, backtrace),
            TorchErrorCode.DeviceFatal => new TorchDeviceFatalException(code, message, backtrace),
            TorchErrorCode.Unsupported => new TorchUnsupportedException(code, message, backtrace),
            _ => new TorchException(code, message, backtrace),
        };
    }

    internal unsafe delegate long StringReader(byte* buf, long cap);

    internal static unsafe string ReadString(StringReader read)
    {
        long needed = read(null, 0);
        if (needed <= 0)
            return string.Empty;
        var buffer = new byte[needed + 1];
        fixed (byte* p = buffer)
            read(p, buffer.Length);
        return Encoding.UTF8.GetString(buffer, 0, (int)needed);
    }
}
