using System.Diagnostics;
using ByteFormer.Interop;
using ByteFormer.Tests.Cli;
using static TorchSharp.torch;

namespace ByteFormer.Tests.Interop;

/// <summary>
/// Property: a valid small checkpoint damaged at 2,000 seeded random places (a flipped bit, a cut, an inserted
/// byte) either still reads or is refused with a <see cref="ByteFormerException"/> (never an OverflowException,
/// KeyNotFoundException, NotSupportedException, OutOfMemoryException...), each within 2 s.
/// </summary>
public class MutationTests
{
    private const int Cases = 2000;

    private static byte[] Mutate(byte[] original, Random rng)
    {
        var bytes = original.ToList();
        switch (rng.Next(3))
        {
            case 0:
                var at = rng.Next(bytes.Count);
                bytes[at] ^= (byte)(1 << rng.Next(8));
                break;
            case 1:
                bytes = bytes.Take(rng.Next(bytes.Count)).ToList();
                break;
            default:
                bytes.Insert(rng.Next(bytes.Count + 1), (byte)rng.Next(256));
                break;
        }
        return bytes.ToArray();
    }

    private static (int Ok, int Refused) Run(byte[] original, int seed, Action<byte[], int> read)
    {
        read(original, -1);                                                        // warm up (loads libtorch), must read
        var rng = new Random(seed);
        int ok = 0, refused = 0;
        var total = Stopwatch.StartNew();
        for (var i = 0; i < Cases; i++)
        {
            var mutated = Mutate(original, rng);
            var watch = Stopwatch.StartNew();
            try
            {
                read(mutated, i);
                ok++;
            }
            catch (ByteFormerException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message) || e.Message.Contains('\n'), $"case {i}: '{e.Message}'");
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i} (seed {seed}): {e.GetType().Name}: {e.Message}");
            }
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"case {i} took {watch.Elapsed}");
        }
        Assert.True(total.Elapsed < TimeSpan.FromSeconds(20), $"{Cases} cases took {total.Elapsed}");
        return (ok, refused);
    }

    [Fact]
    public void Damaged_torch_checkpoints_read_or_are_refused_cleanly()
    {
        var original = TorchZip.Small().Build();
        using var dir = new TempDir();
        var (ok, refused) = Run(original, 20261201, (bytes, i) =>
        {
            var path = dir.File($"m{i % 8}.pt");
            File.WriteAllBytes(path, bytes);
            TorchCheckpoint.Read(path).Dispose();
        });
        Assert.True(refused > Cases / 2, $"only {refused} of {Cases} refused");   // CRC-32 catches nearly all stored damage
    }

    [Fact]
    public void Damaged_deflated_torch_checkpoints_read_or_are_refused_cleanly()
    {
        var original = TorchZip.Small().Build(deflate: true);
        using var dir = new TempDir();
        var (_, refused) = Run(original, 7, (bytes, i) =>
        {
            var path = dir.File($"m{i % 8}.pt");
            File.WriteAllBytes(path, bytes);
            TorchCheckpoint.Read(path).Dispose();
        });
        Assert.True(refused > Cases / 2, $"only {refused} of {Cases} refused");
    }

    [Fact]
    public void Damaged_safetensors_files_read_or_are_refused_cleanly()
    {
        using var m = new MemoryStream();
        using (var a = arange(12, dtype: ScalarType.Float32).reshape(4, 3))
        using (var b = ones(4))
        using (var c = zeros(0, 2))
            Safetensors.WriteTo(m, [new("a.weight", a), new("a.bias", b), new("empty", c)],
                new Dictionary<string, string> { ["format"] = "pt" });
        var original = m.ToArray();
        var (_, refused) = Run(original, 42, (bytes, _) => Safetensors.Read(new MemoryStream(bytes), "m.safetensors").Tensors.Dispose());
        Assert.True(refused > Cases / 4, $"only {refused} of {Cases} refused");
    }

    [Fact]
    public void Damaged_fixture_headers_read_or_are_refused_cleanly()
    {
        // The reference's own files, damaged where the structure is (the pickle, the zip directory, the JSON header).
        var pt = File.ReadAllBytes(Fixtures.Small("weights.pt"));
        var (pickle, _, central) = TorchZip.Locate(pt, "weights/data.pkl");
        var st = File.ReadAllBytes(Fixtures.Small("weights.safetensors"));
        var header = (int)BitConverter.ToInt64(st, 0) + 8;
        var rng = new Random(3);
        using var dir = new TempDir();
        var path = dir.File("w.pt");
        for (var i = 0; i < 40; i++)
        {
            var bytes = (byte[])pt.Clone();
            var at = i % 2 == 0 ? pickle + rng.Next(6601) : central + rng.Next(pt.Length - central);
            bytes[at] ^= (byte)(1 << rng.Next(8));
            File.WriteAllBytes(path, bytes);
            try
            {
                TorchCheckpoint.Read(path).Dispose();
                Assert.True(at >= central, $"a flipped pickle byte at {at} was not noticed");   // a stored pickle has a CRC
            }
            catch (CheckpointException)
            {
            }

            bytes = (byte[])st.Clone();
            bytes[rng.Next(header)] ^= (byte)(1 << rng.Next(8));
            try
            {
                Safetensors.Read(new MemoryStream(bytes), "w.safetensors").Tensors.Dispose();
            }
            catch (CheckpointException)
            {
            }
        }
    }
}
