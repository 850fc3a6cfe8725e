using System.Buffers.Binary;

namespace ByteFormer.Fuzz;

/// <summary>
/// A coverage-less mutation engine over a seed corpus, deterministic for a seed: each input is a corpus file
/// (or two spliced) with 1 to 16 stacked mutations: bit flips, bytes set to 0/0xFF/0x7F/0x80, 16/32/64-bit
/// fields set to huge, negative or off-by-one values in either byte order, small increments, chunks inserted,
/// deleted, duplicated or overwritten, dictionary tokens inserted, truncation. Length fields and counts are where
/// loaders go wrong, so those mutations are weighted up.
/// </summary>
public sealed class Mutator(IReadOnlyList<byte[]> corpus, IReadOnlyList<byte[]> dictionary, int seed, int maxLength = 1 << 20)
{
    private readonly Random rng = new(seed);
    private byte[] buffer = new byte[4096];
    private int length;

    private static readonly byte[] InterestingBytes = [0, 1, 0x7F, 0x80, 0xFF, 0x10, 0x20, 0x40, 0xFE];
    private static readonly long[] InterestingValues =
    [
        0, 1, -1, 2, 7, 8, 16, 255, 256, 0x7FFF, 0x8000, 0xFFFF, 0x10000, int.MaxValue, int.MinValue, (long)int.MaxValue + 1,
        uint.MaxValue, long.MaxValue, long.MinValue, 1L << 40, 100L << 20, -2, -8, 0x7FFFFFF8,
    ];

    /// <summary>The seed inputs.</summary>
    public IReadOnlyList<byte[]> Corpus => corpus;

    /// <summary>The next input; valid until the next call.</summary>
    public ReadOnlySpan<byte> Next()
    {
        var seedFile = corpus[rng.Next(corpus.Count)];
        SetTo(seedFile);
        if (rng.Next(20) == 0) return buffer.AsSpan(0, length);                // the seed itself, now and then
        var count = 1 << rng.Next(5);                                           // 1, 2, 4, 8 or 16 mutations
        for (var i = 0; i < count; i++) MutateOnce();
        return buffer.AsSpan(0, length);
    }

    private void SetTo(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(buffer);
        length = bytes.Length;
    }

    private void Ensure(int capacity)
    {
        if (capacity <= buffer.Length) return;
        Array.Resize(ref buffer, Math.Max(capacity, buffer.Length * 2));
    }

    private int Position() => length == 0 ? 0 : rng.Next(length);

    private int ChunkLength() => 1 + (rng.Next(4) == 0 ? rng.Next(Math.Max(1, Math.Min(length, 4096))) : rng.Next(16));

    private void MutateOnce()
    {
        switch (rng.Next(16))
        {
            case 0 or 1:                                                        // flip a bit
                if (length > 0) buffer[Position()] ^= (byte)(1 << rng.Next(8));
                break;
            case 2:                                                             // an interesting byte
                if (length > 0) buffer[Position()] = InterestingBytes[rng.Next(InterestingBytes.Length)];
                break;
            case 3:                                                             // a random byte
                if (length > 0) buffer[Position()] = (byte)rng.Next(256);
                break;
            case 4 or 5:                                                        // a length field set to something absurd
                SetField();
                break;
            case 6:                                                             // a small increment
                if (length > 0) buffer[Position()] += (byte)(rng.Next(1, 36) * (rng.Next(2) == 0 ? 1 : -1));
                break;
            case 7:                                                             // insert random bytes
                Insert(Position(), RandomBytes(ChunkLength()));
                break;
            case 8:                                                             // delete a chunk
                if (length > 1)
                {
                    var at = Position();
                    var n = Math.Min(ChunkLength(), length - at);
                    Buffer.BlockCopy(buffer, at + n, buffer, at, length - at - n);
                    length -= n;
                }
                break;
            case 9:                                                             // duplicate a chunk somewhere else
                if (length > 0)
                {
                    var from = Position();
                    var n = Math.Min(ChunkLength(), length - from);
                    Insert(Position(), buffer.AsSpan(from, n).ToArray());
                }
                break;
            case 10:                                                            // overwrite with a chunk of the input
                if (length > 1)
                {
                    var from = Position();
                    var to = Position();
                    var n = Math.Min(ChunkLength(), Math.Min(length - from, length - to));
                    Buffer.BlockCopy(buffer, from, buffer, to, n);
                }
                break;
            case 11:                                                            // splice with another corpus file
                Splice();
                break;
            case 12:                                                            // truncate
                if (length > 0) length = rng.Next(length);
                break;
            case 13 or 14:                                                      // a dictionary token, inserted or written over
                if (dictionary.Count > 0)
                {
                    var token = dictionary[rng.Next(dictionary.Count)];
                    var at = Position();
                    if (rng.Next(2) == 0 || at + token.Length > length) Insert(at, token);
                    else token.CopyTo(buffer, at);
                }
                else SetField();
                break;
            default:                                                            // repeat a byte many times
                Insert(Position(), Enumerable.Repeat(InterestingBytes[rng.Next(InterestingBytes.Length)], 1 + rng.Next(512)).ToArray());
                break;
        }
    }

    private void SetField()
    {
        var width = rng.Next(3) switch { 0 => 2, 1 => 4, _ => 8 };
        if (length < width) return;
        var at = rng.Next(length - width + 1);
        var value = rng.Next(4) == 0
            ? ReadField(at, width, rng.Next(2) == 0) + rng.Next(-16, 17)         // off by a little
            : InterestingValues[rng.Next(InterestingValues.Length)];
        var span = buffer.AsSpan(at, width);
        var big = rng.Next(3) == 0;
        switch (width)
        {
            case 2 when big: BinaryPrimitives.WriteInt16BigEndian(span, (short)value); break;
            case 2: BinaryPrimitives.WriteInt16LittleEndian(span, (short)value); break;
            case 4 when big: BinaryPrimitives.WriteInt32BigEndian(span, (int)value); break;
            case 4: BinaryPrimitives.WriteInt32LittleEndian(span, (int)value); break;
            case 8 when big: BinaryPrimitives.WriteInt64BigEndian(span, value); break;
            default: BinaryPrimitives.WriteInt64LittleEndian(span, value); break;
        }
    }

    private long ReadField(int at, int width, bool big)
    {
        var span = buffer.AsSpan(at, width);
        return width switch
        {
            2 => big ? BinaryPrimitives.ReadInt16BigEndian(span) : BinaryPrimitives.ReadInt16LittleEndian(span),
            4 => big ? BinaryPrimitives.ReadInt32BigEndian(span) : BinaryPrimitives.ReadInt32LittleEndian(span),
            _ => big ? BinaryPrimitives.ReadInt64BigEndian(span) : BinaryPrimitives.ReadInt64LittleEndian(span),
        };
    }

    private void Splice()
    {
        var other = corpus[rng.Next(corpus.Count)];
        if (other.Length == 0 || length == 0) return;
        var cut = rng.Next(length);
        var from = rng.Next(other.Length);
        var n = Math.Min(other.Length - from, maxLength - cut);
        Ensure(cut + n);
        Buffer.BlockCopy(other, from, buffer, cut, n);
        length = cut + n;
    }

    private byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        rng.NextBytes(bytes);
        return bytes;
    }

    private void Insert(int at, ReadOnlySpan<byte> bytes)
    {
        if (length + bytes.Length > maxLength) return;
        Ensure(length + bytes.Length);
        Buffer.BlockCopy(buffer, at, buffer, at + bytes.Length, length - at);
        bytes.CopyTo(buffer.AsSpan(at));
        length += bytes.Length;
    }
}
