namespace ByteFormer;
internal static class Smoke { }
