// MSBuild inline task (see build/TorchSharpGlibcxx.targets): marks the GLIBCXX version requirements of an ELF64
// library as weak (VER_FLG_WEAK) when the machine's libstdc++ does not define them, and those named in Versions
// whatever this machine has (for a copy that runs elsewhere: a publish folder, a tool package). Idempotent.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class WeakenMissingGlibcxxVersions : Task
{
    [Required] public string Library { get; set; }

    /// <summary>Versions to weaken even where this machine's libstdc++ defines them (semicolon-separated).</summary>
    public string Versions { get; set; }

    private static readonly string[] SystemLibstdcxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    public override bool Execute()
    {
        string[] always = (Versions ?? "").Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries);
        string system = Array.Find(SystemLibstdcxxCandidates, File.Exists);
        if (system == null && always.Length == 0)
        {
            Log.LogMessage(MessageImportance.Low, "No system libstdc++.so.6 found; leaving " + Library + " as it is.");
            return true;
        }
        byte[] systemBytes = system == null ? null : File.ReadAllBytes(system);
        byte[] b = File.ReadAllBytes(Library);
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1)
        {
            Log.LogWarning(Library + " is not a little-endian ELF64 file; not patched.");
            return true;
        }
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        bool changed = false;
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (BitConverter.ToUInt32(b, (int)sh + 4) != 0x6ffffffe) continue;   // SHT_GNU_verneed
            int link = (int)BitConverter.ToUInt32(b, (int)sh + 40);
            long strOff = BitConverter.ToInt64(b, (int)(shoff + (long)link * shentsize) + 24);
            long off = BitConverter.ToInt64(b, (int)sh + 24);
            while (true)
            {
                int cnt = BitConverter.ToUInt16(b, (int)off + 2);
                string file = ReadString(b, strOff + BitConverter.ToUInt32(b, (int)off + 4));
                long aux = off + BitConverter.ToUInt32(b, (int)off + 8);
                uint nextNeed = BitConverter.ToUInt32(b, (int)off + 12);
                for (int j = 0; j < cnt; j++)
                {
                    ushort flags = BitConverter.ToUInt16(b, (int)aux + 4);
                    string version = ReadString(b, strOff + BitConverter.ToUInt32(b, (int)aux + 8));
                    uint nextAux = BitConverter.ToUInt32(b, (int)aux + 12);
                    if (file.StartsWith("libstdc++", StringComparison.Ordinal) && version.StartsWith("GLIBCXX_", StringComparison.Ordinal)
                        && (flags & 0x2) == 0)
                    {
                        bool missingHere = systemBytes != null && !Contains(systemBytes, Encoding.ASCII.GetBytes(version + "\0"));
                        if (missingHere || Array.IndexOf(always, version) >= 0)
                        {
                            b[aux + 4] = (byte)(flags | 0x2);
                            b[aux + 5] = (byte)((flags | 0x2) >> 8);
                            changed = true;
                            Log.LogMessage(MessageImportance.High, "byteformer build: marked " + version + " weak in " + Library
                                + (missingHere ? " (" + system + " lacks it)" : " (named in Versions)"));
                        }
                    }
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                if (nextNeed == 0) break;
                off += nextNeed;
            }
        }
        if (changed)
        {
            string tmp = Library + ".weakening";
            File.WriteAllBytes(tmp, b);
            File.Copy(tmp, Library, true);
            File.Delete(tmp);
        }
        return true;
    }

    private static string ReadString(byte[] b, long at)
    {
        int end = (int)at;
        while (b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, (int)at, end - (int)at);
    }

    private static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack[i] != needle[0]) continue;
            int k = 1;
            while (k < needle.Length && haystack[i + k] == needle[k]) k++;
            if (k == needle.Length) return true;
        }
        return false;
    }
}
