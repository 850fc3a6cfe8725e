using ByteFormer.Bytes;
using ByteFormer.Tests.Cli;

namespace ByteFormer.Tests.Interop;

/// <summary>Atomic writes clean up after themselves and after killed writers; key files are secret and kept.</summary>
public class AtomicFileTests
{
    private const int DeadPid = 2_000_000_000;                                      // above any pid_max: never alive

    private static void Age(string file) => File.SetLastWriteTimeUtc(file, DateTime.UtcNow - AtomicFile.StaleAfter - TimeSpan.FromMinutes(1));

    [Fact]
    public void Stale_temporaries_of_dead_processes_are_removed_and_nothing_else()
    {
        using var dir = new TempDir();
        var staleSame = AtomicFile.TemporaryName(dir.File("model.safetensors"), DeadPid);
        var staleOther = AtomicFile.TemporaryName(dir.File("other.bin"), DeadPid + 1);
        var fresh = AtomicFile.TemporaryName(dir.File("fresh.bin"), DeadPid + 2);  // a dead pid, but written just now
        var alive = AtomicFile.TemporaryName(dir.File("live.bin"), 1);             // pid 1 is alive
        var lookalikes = new[] { dir.File(".x.123.tmp.keep"), dir.File("x.123.tmp"), dir.File(".x.12a.tmp"), dir.File(".x.tmp"), dir.File("..123.tmp") };
        foreach (var f in new[] { staleSame, staleOther, fresh, alive }.Concat(lookalikes))
        {
            File.WriteAllText(f, "partial");
            if (f != fresh) Age(f);
        }

        AtomicFile.Write(dir.File("model.safetensors"), s => s.WriteByte(1));

        Assert.False(File.Exists(staleSame));
        Assert.False(File.Exists(staleOther));
        Assert.True(File.Exists(fresh));
        Assert.True(File.Exists(alive));
        Assert.All(lookalikes, f => Assert.True(File.Exists(f), f));
        Assert.Equal([1], File.ReadAllBytes(dir.File("model.safetensors")));
    }

    [Fact]
    public void A_failed_write_removes_its_temporary_and_keeps_the_old_file()
    {
        using var dir = new TempDir();
        var path = dir.File("m.bin");
        File.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.WriteByte(1);
            throw new InvalidOperationException("boom");
        }));
        var e = Assert.Throws<ByteFormerException>(() => AtomicFile.Write(path, s =>
        {
            s.WriteByte(1);
            throw new IOException("disk full");
        }));
        Assert.Equal($"cannot write {path}: disk full", e.Message);
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["m.bin"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_failed_rename_removes_its_temporary()
    {
        using var dir = new TempDir();
        var path = dir.File("taken");
        Directory.CreateDirectory(path);                                            // a folder where the file should go
        Assert.Throws<ByteFormerException>(() => AtomicFile.Write(path, s => s.WriteByte(1)));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Keygen_writes_the_key_owner_only_and_never_replaces_one()
    {
        if (OperatingSystem.IsWindows()) return;
        using var dir = new TempDir();
        var key = dir.File("secret.key");
        var r = CliRunner.Run("keygen", "--out", key);
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        var first = File.ReadAllText(key);
        BytePermutation.Load(key);

        r = CliRunner.Run("keygen", "--out", key);
        CliRunner.AssertCleanFailure(r, "already exists: a key is never overwritten");
        Assert.Equal(first, File.ReadAllText(key));
        Assert.Equal(["secret.key"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_key_appearing_while_it_is_written_is_not_replaced()
    {
        using var dir = new TempDir();
        var path = dir.File("k.key");
        var e = Assert.Throws<ByteFormerException>(() => AtomicFile.Write(path, s =>
        {
            File.WriteAllText(path, "someone else's key");                         // created between the check and the rename
            s.WriteByte(1);
        }, BytePermutation.KeyFileMode, overwrite: false));
        Assert.Contains("already exists", e.Message);
        Assert.Equal("someone else's key", File.ReadAllText(path));
        Assert.Equal(["k.key"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }
}
