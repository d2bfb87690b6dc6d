using System.Runtime.InteropServices;

namespace StyleBridge.Imaging.Native;

/// <summary>libspng 0.7 (spng.h).</summary>
internal static unsafe partial class SpngNative
{
    private const string Lib = "libspng.so.0";

    // enum spng_errno (values checked against spng.h 0.7.3)
    public const int SPNG_IO_EOF = -1;
    public const int SPNG_OK = 0;
    public const int SPNG_EMEM = 2;
    public const int SPNG_EOVERFLOW = 3;
    public const int SPNG_EUSER_WIDTH = 7;
    public const int SPNG_EUSER_HEIGHT = 8;
    public const int SPNG_EIDAT_TOO_SHORT = 62;
    public const int SPNG_EOF = 68;
    public const int SPNG_ECHUNK_LIMITS = 77;

    public const int SPNG_CTX_ENCODER = 2;

    public const int SPNG_COLOR_TYPE_GRAYSCALE = 0;
    public const int SPNG_COLOR_TYPE_TRUECOLOR = 2;

    public const int SPNG_FMT_RGB8 = 4;
    public const int SPNG_FMT_PNG = 256;

    public const int SPNG_ENCODE_FINALIZE = 2;
    public const int SPNG_ENCODE_TO_BUFFER = 12;   // enum spng_option

    [StructLayout(LayoutKind.Sequential)]
    public struct SpngIhdr
    {
        public uint Width;
        public uint Height;
        public byte BitDepth;
        public byte ColorType;
        public byte CompressionMethod;
        public byte FilterMethod;
        public byte InterlaceMethod;
    }

    [LibraryImport(Lib)] public static partial nint spng_ctx_new(int flags);
    [LibraryImport(Lib)] public static partial void spng_ctx_free(nint ctx);
    [LibraryImport(Lib)] public static partial int spng_set_png_buffer(nint ctx, void* buf, nuint size);
    [LibraryImport(Lib)] public static partial int spng_set_image_limits(nint ctx, uint width, uint height);
    [LibraryImport(Lib)] public static partial int spng_set_chunk_limits(nint ctx, nuint chunkSize, nuint cacheSize);
    [LibraryImport(Lib)] public static partial int spng_set_option(nint ctx, int option, int value);
    [LibraryImport(Lib)] public static partial int spng_get_ihdr(nint ctx, SpngIhdr* ihdr);
    [LibraryImport(Lib)] public static partial int spng_set_ihdr(nint ctx, SpngIhdr* ihdr);
    [LibraryImport(Lib)] public static partial int spng_decoded_image_size(nint ctx, int fmt, nuint* len);
    [LibraryImport(Lib)] public static partial int spng_decode_image(nint ctx, void* output, nuint len, int fmt, int flags);
    [LibraryImport(Lib)] public static partial int spng_decode_chunks(nint ctx);
    [LibraryImport(Lib)] public static partial int spng_encode_image(nint ctx, void* img, nuint len, int fmt, int flags);
    [LibraryImport(Lib)] public static partial void* spng_get_png_buffer(nint ctx, nuint* len, int* error);
    [LibraryImport(Lib)] public static partial byte* spng_strerror(int err);

    public static string ErrorString(int err) =>
        Marshal.PtrToStringUTF8((nint)spng_strerror(err)) ?? $"spng error {err}";
}
