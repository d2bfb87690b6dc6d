using System.Diagnostics;

namespace StyleBridge.Cli.Commands;

/// <summary>Where a trained file came from: the git revision of the working tree that ran the command.</summary>
internal static class Provenance
{
    /// <summary><c>git rev-parse HEAD</c>, with <c>+dirty</c> when tracked files differ from it; "unknown" outside a checkout.</summary>
    public static string Revision()
    {
        string? head = Git("rev-parse HEAD");
        if (head is null)
            return "unknown";
        string? status = Git("status --porcelain --untracked-files=no");
        return string.IsNullOrWhiteSpace(status) ? head : head + "+dirty";
    }

    private static string? Git(string arguments)
    {
        try
        {
            var info = new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(info);
            if (process is null)
                return null;
            string text = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit(10_000);
            return process.ExitCode == 0 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
