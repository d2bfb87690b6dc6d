namespace StyleBridge.Tests.Shared;

/// <summary>Edits of files under test that an attacker or a careless copy could make.</summary>
public static class FileEdits
{
    /// <summary>Flips the bits of one byte in place (same length) and moves the write time on, as an edit would.</summary>
    public static void FlipOneByte(string path, long offset)
    {
        var before = File.GetLastWriteTimeUtc(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = offset;
            int b = stream.ReadByte();
            stream.Position = offset;
            stream.WriteByte((byte)(b ^ 0xFF));
        }

        File.SetLastWriteTimeUtc(path, before.AddSeconds(2));
    }
}
