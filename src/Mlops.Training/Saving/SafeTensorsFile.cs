using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian unsigned header length
/// N, N bytes of UTF-8 JSON (padded with spaces to a multiple of 8) mapping each tensor name to
/// <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (offsets relative to the data that follows) plus an optional
/// <c>"__metadata__"</c> string map, then the tensors' raw little-endian bytes, back to back, with no holes. Readable by
/// <c>safetensors.torch.load_file</c>.
/// </summary>
internal static class SafeTensorsFile
{
    private const string MetadataKey = "__metadata__";
    private const long MaxHeaderLength = 100_000_000;

    private static readonly Dictionary<ScalarType, string> DtypeNames = new()
    {
        [ScalarType.Float64] = "F64",
        [ScalarType.Float32] = "F32",
        [ScalarType.Float16] = "F16",
        [ScalarType.BFloat16] = "BF16",
        [ScalarType.Int64] = "I64",
        [ScalarType.Int32] = "I32",
        [ScalarType.Int16] = "I16",
        [ScalarType.Int8] = "I8",
        [ScalarType.Byte] = "U8",
        [ScalarType.Bool] = "BOOL",
    };

    private static readonly Dictionary<string, (ScalarType Type, int Size)> Dtypes = new(StringComparer.Ordinal)
    {
        ["F64"] = (ScalarType.Float64, 8),
        ["F32"] = (ScalarType.Float32, 4),
        ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2),
        ["I64"] = (ScalarType.Int64, 8),
        ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2),
        ["I8"] = (ScalarType.Int8, 1),
        ["U8"] = (ScalarType.Byte, 1),
        ["BOOL"] = (ScalarType.Bool, 1),
    };

    /// <summary>Writes tensors (any device; copied to the CPU) atomically.</summary>
    public static void Write(string path, IReadOnlyList<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Writing safetensors needs a little-endian machine.");
        }

        using var scope = NewDisposeScope();
        var host = tensors.Select(entry => (entry.Name, Tensor: entry.Tensor.detach().cpu().contiguous())).ToList();
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, tensor) in host)
            {
                if (!DtypeNames.TryGetValue(tensor.dtype, out var dtype))
                {
                    throw new ArgumentException($"Tensor '{name}' has type {tensor.dtype}, which safetensors cannot hold.", nameof(tensors));
                }

                var length = tensor.numel() * tensor.ElementSize;
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype);
                json.WriteStartArray("shape");
                foreach (var dimension in tensor.shape)
                {
                    json.WriteNumberValue(dimension);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += length;
            }

            json.WriteEndObject();
        }

        // The reference writer pads the header with spaces so the data starts 8-byte aligned.
        while (header.Length % 8 != 0)
        {
            header.WriteByte((byte)' ');
        }

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            header.Position = 0;
            header.CopyTo(stream);
            foreach (var (_, tensor) in host)
            {
                if (tensor.numel() > 0)
                {
                    stream.Write(tensor.bytes);
                }
            }
        });
    }

    /// <summary>Reads every tensor (on the CPU) and the metadata, checking the file against the format.</summary>
    /// <exception cref="ModelFormatException">The file is truncated, its header is not valid JSON, or an entry is inconsistent.</exception>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException ex)
        {
            throw new ModelFormatException(path, "the weights file does not exist", ex);
        }

        if (bytes.Length < 8)
        {
            throw new ModelFormatException(path, $"truncated: {bytes.Length} bytes, fewer than the 8-byte header length");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderLength || (long)headerLength > bytes.Length - 8)
        {
            throw new ModelFormatException(path, $"truncated or not safetensors: the header length says {headerLength} bytes, but only {bytes.Length - 8} follow");
        }

        var dataStart = 8 + (long)headerLength;
        var dataLength = bytes.Length - dataStart;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(path, $"the header is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException(path, "the header is not a JSON object");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var ranges = new List<(long Begin, long End, string Name)>();
            try
            {
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (property.Name == MetadataKey)
                    {
                        foreach (var entry in property.Value.EnumerateObject())
                        {
                            metadata[entry.Name] = entry.Value.GetString() ?? string.Empty;
                        }

                        continue;
                    }

                    var (tensor, begin, end) = ReadTensor(path, property, bytes, dataStart, dataLength);
                    tensors[property.Name] = tensor;
                    ranges.Add((begin, end, property.Name));
                }

                CheckCoverage(path, ranges, dataLength);
                return (tensors, metadata);
            }
            catch
            {
                foreach (var tensor in tensors.Values)
                {
                    tensor.Dispose();
                }

                throw;
            }
        }
    }

    private static (Tensor Tensor, long Begin, long End) ReadTensor(string path, JsonProperty property, byte[] bytes, long dataStart, long dataLength)
    {
        var name = property.Name;
        var entry = property.Value;
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !entry.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
        {
            throw new ModelFormatException(path, $"tensor '{name}': the header entry needs \"dtype\", \"shape\" and two \"data_offsets\"");
        }

        var dtypeName = dtypeElement.GetString()!;
        if (!Dtypes.TryGetValue(dtypeName, out var dtype))
        {
            throw new ModelFormatException(path, $"tensor '{name}': unsupported dtype '{dtypeName}'");
        }

        var shape = shapeElement.EnumerateArray().Select(dimension => dimension.TryGetInt64(out var value) && value >= 0
            ? value
            : throw new ModelFormatException(path, $"tensor '{name}': the shape holds {dimension}, not a size")).ToArray();
        var begin = offsetsElement[0].TryGetInt64(out var b) ? b : -1;
        var end = offsetsElement[1].TryGetInt64(out var e) ? e : -1;
        var elements = shape.Aggregate(1L, (product, dimension) => product * dimension);
        if (begin < 0 || end < begin || end > dataLength)
        {
            throw new ModelFormatException(path, $"tensor '{name}': data_offsets [{begin}, {end}] lie outside the {dataLength} data bytes (truncated file?)");
        }

        if (end - begin != elements * dtype.Size)
        {
            throw new ModelFormatException(path, $"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtypeName} needs {elements * dtype.Size} bytes, but data_offsets [{begin}, {end}] hold {end - begin}");
        }

        var tensor = empty(shape, dtype.Type);
        if (elements > 0)
        {
            bytes.AsSpan((int)(dataStart + begin), (int)(end - begin)).CopyTo(tensor.bytes);
        }

        return (tensor, begin, end);
    }

    private static void CheckCoverage(string path, List<(long Begin, long End, string Name)> ranges, long dataLength)
    {
        long covered = 0;
        foreach (var (begin, end, name) in ranges.OrderBy(range => range.Begin).ThenBy(range => range.End))
        {
            if (begin != covered)
            {
                throw new ModelFormatException(path, begin < covered
                    ? $"tensor '{name}' overlaps the previous tensor's data"
                    : $"the data has a hole before tensor '{name}' (bytes {covered} to {begin})");
            }

            covered = end;
        }

        if (covered != dataLength)
        {
            throw new ModelFormatException(path, $"the tensors cover {covered} of the {dataLength} data bytes");
        }
    }
}
