using System.Runtime.InteropServices;

namespace ByteFormer.Interop;

/// <summary>Little-endian floating-point element types that weight files store.</summary>
internal enum FloatKind { F32, F64, F16, BF16 }

/// <summary>Raw little-endian values of a weight file to float32, shared by the safetensors and torch readers.</summary>
internal static class FloatDecoding
{
    public static int Size(FloatKind kind) => kind switch
    {
        FloatKind.F64 => 8,
        FloatKind.F32 => 4,
        _ => 2,
    };

    public static float[] ToFloat32(byte[] raw, FloatKind kind) => kind switch
    {
        FloatKind.F32 => MemoryMarshal.Cast<byte, float>(raw).ToArray(),
        FloatKind.F64 => MemoryMarshal.Cast<byte, double>(raw).ToArray().Select(d => (float)d).ToArray(),
        FloatKind.F16 => MemoryMarshal.Cast<byte, Half>(raw).ToArray().Select(h => (float)h).ToArray(),
        _ => MemoryMarshal.Cast<byte, ushort>(raw).ToArray().Select(b => BitConverter.Int32BitsToSingle(b << 16)).ToArray(),
    };
}
