using System.Runtime.CompilerServices;
using StyleBridge.Imaging.Native;

namespace StyleBridge.Imaging.Tests;

/// <summary>Struct sizes as measured with gcc against the installed headers (sizeof on x86-64 Linux).</summary>
public class NativeLayoutTests
{
    [Fact]
    public void WebP_structs_match_the_C_layout()
    {
        Assert.Equal(40, Unsafe.SizeOf<WebPNative.WebPBitstreamFeatures>());
        Assert.Equal(120, Unsafe.SizeOf<WebPNative.WebPDecBuffer>());
        Assert.Equal(76, Unsafe.SizeOf<WebPNative.WebPDecoderOptions>());
        Assert.Equal(240, Unsafe.SizeOf<WebPNative.WebPDecoderConfig>());
    }

    [Fact]
    public void Spng_ihdr_matches_the_C_layout() => Assert.Equal(16, Unsafe.SizeOf<SpngNative.SpngIhdr>());
}
