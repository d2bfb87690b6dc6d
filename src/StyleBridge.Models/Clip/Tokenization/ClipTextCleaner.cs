namespace StyleBridge.Models.Clip;

/// <summary>
/// The reference's <c>whitespace_clean(basic_clean(text)).lower()</c>: ftfy (the <see cref="FtfyFixes"/> subset,
/// when enabled), <c>html.unescape</c> twice, <c>str.strip</c>, every run of <c>\s</c> to one space, strip again,
/// <c>str.lower</c>.
/// </summary>
internal static class ClipTextCleaner
{
    public static string Clean(string text, bool fixText)
    {
        if (fixText) text = FtfyFixes.FixText(text);
        text = HtmlUnescape.Unescape(HtmlUnescape.Unescape(text));
        text = PythonText.Strip(text);
        text = PythonText.Strip(PythonText.CollapseWhiteSpace(text));
        return PythonText.Lower(text);
    }
}
