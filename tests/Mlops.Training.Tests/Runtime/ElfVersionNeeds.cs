using System.Buffers.Binary;
using System.Text;

namespace Mlops.Training.Tests.Runtime;

/// <summary>An independent reader of an ELF file's version needs (.gnu.version_r), to check the build step's edit.</summary>
internal static class ElfVersionNeeds
{
    public static ushort? FlagsOf(string path, string version)
    {
        var elf = File.ReadAllBytes(path);
        var at = FlagsOffset(elf, version);
        return at is { } offset ? BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(offset)) : null;
    }

    /// <summary>Writes a copy of the library with the version need's weak flag cleared (as NuGet ships it).</summary>
    public static void WriteStrictCopy(string source, string destination, string version)
    {
        var elf = File.ReadAllBytes(source);
        var offset = FlagsOffset(elf, version) ?? throw new InvalidOperationException($"{source} does not need {version}");
        var flags = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(offset)) & ~0x2);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(offset), flags);
        File.WriteAllBytes(destination, elf);
    }

    private static int? FlagsOffset(byte[] elf, string version)
    {
        var sectionTable = (int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(0x28));
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3A));
        int sections = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3C));
        for (var s = 0; s < sections; s++)
        {
            var header = elf.AsSpan(sectionTable + (s * entrySize));
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != 0x6ffffffe)
            {
                continue;
            }

            var offset = (int)BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]);
            var link = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[0x28..]);
            var strings = (int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(sectionTable + (link * entrySize) + 0x18));
            var need = offset;
            while (true)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(need + 2));
                var aux = need + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(need + 8));
                for (var a = 0; a < auxCount; a++)
                {
                    var name = strings + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(aux + 8));
                    var length = Array.IndexOf(elf, (byte)0, name) - name;
                    if (Encoding.ASCII.GetString(elf, name, length) == version)
                    {
                        return aux + 4;
                    }

                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(aux + 12));
                }

                var next = (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(need + 12));
                if (next == 0)
                {
                    break;
                }

                need += next;
            }
        }

        return null;
    }
}
