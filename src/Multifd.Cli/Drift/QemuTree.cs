using System.Diagnostics;
using System.Text;

namespace Multifd.Cli.Drift;

/// <summary>A QEMU source tree to read: a directory on disk, or a revision of a git repository.</summary>
public interface IQemuTree : IDisposable
{
    /// <summary>How the tree is named in the output ("/src/qemu", or "/src/qemu.git at v10.1.0 (f8b2f64e23)").</summary>
    string Description { get; }

    /// <summary>Every file of the tree, as paths relative to its root with '/' separators.</summary>
    IReadOnlyList<string> Files { get; }

    /// <summary>The file's text, or null if the tree has no such file.</summary>
    string? Read(string path);
}

/// <summary>Opens a QEMU tree; bad input (no such directory, not a git repository, unknown revision) is a <see cref="UsageException"/>.</summary>
public static class QemuTree
{
    /// <param name="rev">A git revision: read the tree from the repository at <paramref name="path"/> (a work tree or a bare repository).
    /// Null: read the directory itself, unless it is a bare repository (then its HEAD).</param>
    public static IQemuTree Open(string path, string? rev)
    {
        if (!Directory.Exists(path))
        {
            throw new UsageException($"drift: {path}: no such directory");
        }

        var bare = File.Exists(Path.Combine(path, "HEAD")) && Directory.Exists(Path.Combine(path, "objects"))
                   && Directory.Exists(Path.Combine(path, "refs"));
        return rev is not null || bare ? GitTree.Open(path, rev ?? "HEAD") : new DirectoryTree(path);
    }
}

/// <summary>A directory on disk (a checkout, or an unpacked release).</summary>
public sealed class DirectoryTree(string root) : IQemuTree
{
    private IReadOnlyList<string>? files;

    public string Description => root;

    public IReadOnlyList<string> Files => files ??= Directory
        .EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint })
        .Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'))
        .Where(f => !f.StartsWith(".git/", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .ToList();

    public string? Read(string path)
    {
        var full = Path.Combine(root, path);
        return File.Exists(full) ? File.ReadAllText(full) : null;
    }

    public void Dispose()
    {
    }
}

/// <summary>A revision of a git repository, read with git ls-tree and one git cat-file --batch.</summary>
public sealed class GitTree : IQemuTree
{
    private readonly string repository;
    private readonly string commit;
    private readonly Process catFile;
    private readonly HashSet<string> fileSet;

    private GitTree(string repository, string rev, string commit, IReadOnlyList<string> files)
    {
        this.repository = repository;
        this.commit = commit;
        Files = files;
        fileSet = [.. files];
        Description = commit.StartsWith(rev, StringComparison.OrdinalIgnoreCase)
            ? $"{repository} at {commit[..10]}"
            : $"{repository} at {rev} ({commit[..10]})";
        catFile = Start(repository, "cat-file", "--batch");
    }

    public string Description { get; }

    public IReadOnlyList<string> Files { get; }

    public static GitTree Open(string repository, string rev)
    {
        var (ok, output, _) = Run(repository, "rev-parse", "--verify", "--quiet", $"{rev}^{{commit}}");
        if (!ok)
        {
            var inRepo = Run(repository, "rev-parse", "--git-dir").Ok;
            throw new UsageException(inRepo
                ? $"drift: {repository}: unknown revision \"{rev}\""
                : $"drift: {repository}: not a git repository (--rev needs one)");
        }

        var commit = output.Trim();
        var (listed, list, listError) = Run(repository, "ls-tree", "-r", "--name-only", "-z", commit);
        if (!listed)
        {
            throw new UsageException($"drift: {repository}: cannot list {rev}: {Program.OneLine(listError)}");
        }

        return new GitTree(repository, rev, commit, list.Split('\0', StringSplitOptions.RemoveEmptyEntries));
    }

    public string? Read(string path)
    {
        if (!fileSet.Contains(path))
        {
            return null;
        }

        catFile.StandardInput.BaseStream.Write(Encoding.UTF8.GetBytes($"{commit}:{path}\n"));
        catFile.StandardInput.BaseStream.Flush();
        var output = catFile.StandardOutput.BaseStream;
        var header = ReadLine(output);
        var parts = header.Split(' ');
        if (parts.Length != 3 || parts[1] != "blob" || !long.TryParse(parts[2], out var size))
        {
            return null;
        }

        var bytes = new byte[size + 1]; // the content, then a newline
        var done = 0;
        while (done < bytes.Length)
        {
            var n = output.Read(bytes, done, bytes.Length - done);
            if (n <= 0)
            {
                throw new IOException($"git cat-file ended while reading {path}");
            }

            done += n;
        }

        return Encoding.UTF8.GetString(bytes, 0, (int)size);
    }

    public void Dispose()
    {
        try
        {
            catFile.StandardInput.Close();
            catFile.WaitForExit(5000);
        }
        finally
        {
            catFile.Dispose();
        }
    }

    private static string ReadLine(Stream stream)
    {
        var line = new List<byte>();
        int b;
        while ((b = stream.ReadByte()) >= 0 && b != '\n')
        {
            line.Add((byte)b);
        }

        return Encoding.UTF8.GetString([.. line]);
    }

    private static Process Start(string repository, params string[] args)
    {
        var info = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-C");
        info.ArgumentList.Add(repository);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        try
        {
            return Process.Start(info) ?? throw new UsageException("drift: cannot run git");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UsageException($"drift: cannot run git ({e.Message}); --rev needs git on the PATH");
        }
    }

    private static (bool Ok, string Output, string Error) Run(string repository, params string[] args)
    {
        using var p = Start(repository, args);
        p.StandardInput.Close();
        var stderr = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode == 0, output, stderr.Result);
    }
}
