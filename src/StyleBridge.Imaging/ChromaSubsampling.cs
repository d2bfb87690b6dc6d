namespace StyleBridge.Imaging;

/// <summary>JPEG chroma subsampling; 4:2:0 is what PIL and most encoders use by default.</summary>
public enum ChromaSubsampling
{
    Yuv444,
    Yuv422,
    Yuv420,
}
