using System.Runtime.InteropServices;
using StyleBridge.Imaging.Containers;
using static StyleBridge.Imaging.Native.SpngNative;

namespace StyleBridge.Imaging.Codecs;

/// <summary>
/// PNG through libspng. Every colour type and bit depth decodes to RGB8: grayscale is replicated, palette expanded,
/// 16-bit samples reduced to 8 bits, and alpha (an alpha channel or tRNS) dropped, not composited: the stored colour
/// of a transparent pixel is kept. No gamma correction is applied.
/// </summary>
internal static unsafe class PngCodec
{
    private const ImageFormat Format = ImageFormat.Png;

    public static StoredHeader ReadHeader(ReadOnlySpan<byte> data)
    {
        var (width, height) = PngChunks.ReadIhdr(data);
        var scan = PngChunks.Scan(data);    // problems surface after the size check, see ImageDecoder
        return new StoredHeader(width, height, scan.Orientation(data), scan);
    }

    public static RgbImage Decode(ReadOnlySpan<byte> data, StoredHeader header, ImageLimits limits)
    {
        nint ctx = spng_ctx_new(0);
        if (ctx == 0) throw new InvalidOperationException("spng_ctx_new failed");
        try
        {
            fixed (byte* p = data)
            {
                // libspng's own bounds, in addition to the checks already made on IHDR: no chunk can exceed the file,
                // and cached ancillary data (including inflated text/ICC payloads) is capped.
                uint maxSide = (uint)Math.Max(limits.MaxWidth, limits.MaxHeight);
                Check(spng_set_image_limits(ctx, maxSide, maxSide));
                nuint cache = (nuint)Math.Max(0, limits.MaxMetadataBytes);
                Check(spng_set_chunk_limits(ctx, Math.Min((nuint)data.Length, cache), cache));
                Check(spng_set_png_buffer(ctx, p, (nuint)data.Length));

                SpngIhdr ihdr;
                Check(spng_get_ihdr(ctx, &ihdr));
                if (ihdr.Width != header.Width || ihdr.Height != header.Height)
                    throw new ImageDecodeException(ImageDecodeReason.Corrupt, Format, "IHDR changed between reads");

                nuint length;
                Check(spng_decoded_image_size(ctx, SPNG_FMT_RGB8, &length));
                if (length != (nuint)header.RgbLength)
                    throw new ImageDecodeException(ImageDecodeReason.Corrupt, Format, $"libspng wants {length} bytes for {header.Width}x{header.Height} RGB8");

                var pixels = GC.AllocateUninitializedArray<byte>(header.RgbLength);
                fixed (byte* dst = pixels)
                    Check(spng_decode_image(ctx, dst, length, SPNG_FMT_RGB8, 0));
                // Reads on to IEND: verifies the CRC of the last IDAT and the chunks after it.
                Check(spng_decode_chunks(ctx));
                return new RgbImage(header.Width, header.Height, pixels);
            }
        }
        finally
        {
            spng_ctx_free(ctx);
        }
    }

    public static byte[] Encode(RgbImage image)
    {
        nint ctx = spng_ctx_new(SPNG_CTX_ENCODER);
        if (ctx == 0) throw new InvalidOperationException("spng_ctx_new failed");
        void* png = null;
        try
        {
            CheckEncode(spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1));
            var ihdr = new SpngIhdr
            {
                Width = (uint)image.Width,
                Height = (uint)image.Height,
                BitDepth = 8,
                ColorType = SPNG_COLOR_TYPE_TRUECOLOR,
            };
            CheckEncode(spng_set_ihdr(ctx, &ihdr));
            fixed (byte* src = image.Pixels)
                CheckEncode(spng_encode_image(ctx, src, (nuint)image.Pixels.Length, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE));

            nuint length;
            int error;
            png = spng_get_png_buffer(ctx, &length, &error);
            CheckEncode(error);
            if (png == null) throw new ImageEncodeException(Format, "libspng returned no buffer");
            return new ReadOnlySpan<byte>(png, checked((int)length)).ToArray();
        }
        finally
        {
            // The buffer comes from libspng's default allocator (libc malloc) and is the caller's to free.
            NativeMemory.Free(png);
            spng_ctx_free(ctx);
        }
    }

    private static void Check(int rc)
    {
        if (rc == SPNG_OK) return;
        var reason = rc switch
        {
            SPNG_EUSER_WIDTH or SPNG_EUSER_HEIGHT or SPNG_ECHUNK_LIMITS or SPNG_EMEM => ImageDecodeReason.TooLarge,
            SPNG_IO_EOF or SPNG_EIDAT_TOO_SHORT => ImageDecodeReason.Truncated,
            _ => ImageDecodeReason.Corrupt,
        };
        throw new ImageDecodeException(reason, Format, $"libspng: {ErrorString(rc)} ({rc})");
    }

    private static void CheckEncode(int rc)
    {
        if (rc != SPNG_OK) throw new ImageEncodeException(Format, $"libspng: {ErrorString(rc)} ({rc})");
    }
}
