using System.Runtime.InteropServices;

namespace StyleBridge.Imaging.Native;

/// <summary>TurboJPEG 2.x API of libjpeg-turbo (turbojpeg.h). `unsigned long` is <see cref="CULong"/>.</summary>
internal static unsafe partial class TurboJpegNative
{
    private const string Lib = "libturbojpeg.so.0";

    public const int TJPF_RGB = 0;
    public const int TJPF_GRAY = 6;

    public const int TJSAMP_444 = 0;
    public const int TJSAMP_422 = 1;
    public const int TJSAMP_420 = 2;
    public const int TJSAMP_GRAY = 3;

    public const int TJCS_RGB = 0;
    public const int TJCS_YCbCr = 1;
    public const int TJCS_GRAY = 2;
    public const int TJCS_CMYK = 3;
    public const int TJCS_YCCK = 4;

    public const int TJFLAG_ACCURATEDCT = 4096;
    public const int TJFLAG_STOPONWARNING = 8192;
    public const int TJFLAG_LIMITSCANS = 32768;

    public const int TJERR_WARNING = 0;
    public const int TJERR_FATAL = 1;

    [LibraryImport(Lib)] public static partial nint tjInitCompress();
    [LibraryImport(Lib)] public static partial nint tjInitDecompress();
    [LibraryImport(Lib)] public static partial int tjDestroy(nint handle);

    [LibraryImport(Lib)]
    public static partial int tjDecompressHeader3(nint handle, byte* jpegBuf, CULong jpegSize,
        int* width, int* height, int* jpegSubsamp, int* jpegColorspace);

    [LibraryImport(Lib)]
    public static partial int tjDecompress2(nint handle, byte* jpegBuf, CULong jpegSize, byte* dstBuf,
        int width, int pitch, int height, int pixelFormat, int flags);

    [LibraryImport(Lib)]
    public static partial int tjCompress2(nint handle, byte* srcBuf, int width, int pitch, int height,
        int pixelFormat, byte** jpegBuf, CULong* jpegSize, int jpegSubsamp, int jpegQual, int flags);

    [LibraryImport(Lib)] public static partial void tjFree(byte* buffer);
    [LibraryImport(Lib)] public static partial byte* tjGetErrorStr2(nint handle);
    [LibraryImport(Lib)] public static partial int tjGetErrorCode(nint handle);

    public static string ErrorString(nint handle) =>
        Marshal.PtrToStringUTF8((nint)tjGetErrorStr2(handle)) ?? "unknown TurboJPEG error";
}
