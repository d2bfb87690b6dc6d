using System.Runtime.InteropServices;

namespace StyleBridge.Imaging.Native;

/// <summary>libwebp 1.2 (webp/decode.h, webp/encode.h). Struct layouts follow the x86-64 / aarch64 LP64 ABI.</summary>
internal static unsafe partial class WebPNative
{
    private const string Lib = "libwebp.so.7";

    public const int WEBP_DECODER_ABI_VERSION = 0x0209;

    public const int MODE_RGB = 0;

    // enum VP8StatusCode
    public const int VP8_STATUS_OK = 0;
    public const int VP8_STATUS_OUT_OF_MEMORY = 1;
    public const int VP8_STATUS_INVALID_PARAM = 2;
    public const int VP8_STATUS_BITSTREAM_ERROR = 3;
    public const int VP8_STATUS_UNSUPPORTED_FEATURE = 4;
    public const int VP8_STATUS_NOT_ENOUGH_DATA = 7;

    [StructLayout(LayoutKind.Sequential)]
    public struct WebPBitstreamFeatures
    {
        public int Width;
        public int Height;
        public int HasAlpha;
        public int HasAnimation;
        public int Format;          // 0 undefined/mixed, 1 lossy, 2 lossless
        public fixed uint Pad[5];
    }

    /// <summary>The nameless union of WebPRGBABuffer / WebPYUVABuffer; only the RGBA view is used.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 80)]
    public struct WebPBufferUnion
    {
        [FieldOffset(0)] public byte* Rgba;
        [FieldOffset(8)] public int Stride;
        [FieldOffset(16)] public nuint Size;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct WebPDecBuffer
    {
        public int Colorspace;
        public int Width;
        public int Height;
        public int IsExternalMemory;
        public WebPBufferUnion U;
        public fixed uint Pad[4];
        public byte* PrivateMemory;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct WebPDecoderOptions
    {
        public int BypassFiltering;
        public int NoFancyUpsampling;
        public int UseCropping;
        public int CropLeft, CropTop, CropWidth, CropHeight;
        public int UseScaling;
        public int ScaledWidth, ScaledHeight;
        public int UseThreads;
        public int DitheringStrength;
        public int Flip;
        public int AlphaDitheringStrength;
        public fixed uint Pad[5];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct WebPDecoderConfig
    {
        public WebPBitstreamFeatures Input;
        public WebPDecBuffer Output;
        public WebPDecoderOptions Options;
    }

    [LibraryImport(Lib)]
    public static partial int WebPGetFeaturesInternal(byte* data, nuint dataSize, WebPBitstreamFeatures* features, int version);

    [LibraryImport(Lib)] public static partial int WebPInitDecoderConfigInternal(WebPDecoderConfig* config, int version);
    [LibraryImport(Lib)] public static partial int WebPDecode(byte* data, nuint dataSize, WebPDecoderConfig* config);
    [LibraryImport(Lib)] public static partial void WebPFreeDecBuffer(WebPDecBuffer* buffer);

    [LibraryImport(Lib)]
    public static partial nuint WebPEncodeRGB(byte* rgb, int width, int height, int stride, float qualityFactor, byte** output);

    [LibraryImport(Lib)]
    public static partial nuint WebPEncodeLosslessRGB(byte* rgb, int width, int height, int stride, byte** output);

    [LibraryImport(Lib)]
    public static partial nuint WebPEncodeLosslessRGBA(byte* rgba, int width, int height, int stride, byte** output);

    [LibraryImport(Lib)] public static partial void WebPFree(void* ptr);
}
