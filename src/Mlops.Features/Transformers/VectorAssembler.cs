using Apache.Arrow;
using Apache.Arrow.Types;

namespace Mlops.Features;

/// <summary>
/// Combines numeric, boolean and vector columns into one feature vector column (<c>list&lt;double&gt;</c>), like
/// Spark ML's <c>VectorAssembler</c>. Configure it with the fluent setters, then call <see cref="Transform"/>:
/// <code>
/// var assembled = new VectorAssembler()
///     .SetInputCols("user_age", "product_price", "click_duration")
///     .SetOutputCol("features")
///     .Transform(joined);
/// </code>
/// </summary>
/// <remarks>
/// <para>
/// Inputs: integer columns (tinyint to bigint), float and double columns, booleans (true is 1.0, false 0.0) and
/// vector columns (<c>list&lt;double&gt;</c>), which are expanded in place. A vector column's size comes from its
/// metadata (written by a previous assembler or <see cref="VectorMetadata.WithSize"/>), else from its first non-null
/// value, which <see cref="Transform"/> reads. Every value of a vector column must have that size.
/// </para>
/// <para>
/// The output field records the slot names in its metadata the way Spark does (<see cref="VectorMetadata"/>): a
/// scalar input is named after its column, a vector input's slots are named <c>column_slot</c> from its own slot
/// names, or <c>column_0</c>, <c>column_1</c>, ... when it has none.
/// </para>
/// <para>
/// An input value is invalid when it is null, a NaN in a float or double column, or a null element of a vector
/// (NaN elements of vectors are data, as in Spark). <see cref="SetHandleInvalid(HandleInvalid)"/> chooses what
/// happens: fail (the default), drop the row, or output NaN.
/// </para>
/// <para>
/// The setters change this object and return it, as in Spark; <see cref="Transform"/> takes a snapshot of the
/// parameters, so an assembler can be reconfigured and reused without affecting frames it already produced.
/// </para>
/// </remarks>
public sealed class VectorAssembler
{
    /// <summary>The output column name used when none is set.</summary>
    public const string DefaultOutputCol = "features";

    private string[] _inputCols = [];
    private string _outputCol = DefaultOutputCol;
    private HandleInvalid _handleInvalid = HandleInvalid.Error;

    /// <summary>Sets the columns to assemble, in slot order. A column may appear more than once.</summary>
    public VectorAssembler SetInputCols(params string[] inputCols)
    {
        ArgumentNullException.ThrowIfNull(inputCols);
        foreach (var c in inputCols)
        {
            ArgumentException.ThrowIfNullOrEmpty(c, nameof(inputCols));
        }

        _inputCols = (string[])inputCols.Clone();
        return this;
    }

    /// <summary>Sets the name of the vector column to add (<see cref="DefaultOutputCol"/> by default).</summary>
    public VectorAssembler SetOutputCol(string outputCol)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputCol);
        _outputCol = outputCol;
        return this;
    }

    /// <summary>Sets what to do with rows that have an invalid input value (<see cref="HandleInvalid.Error"/> by default).</summary>
    public VectorAssembler SetHandleInvalid(HandleInvalid handleInvalid)
    {
        if (!Enum.IsDefined(handleInvalid))
        {
            throw new ArgumentOutOfRangeException(nameof(handleInvalid), handleInvalid, "Expected Error, Skip or Keep.");
        }

        _handleInvalid = handleInvalid;
        return this;
    }

    /// <summary>Sets what to do with invalid rows by Spark's name: <c>"error"</c>, <c>"skip"</c> or <c>"keep"</c> (case-insensitive).</summary>
    public VectorAssembler SetHandleInvalid(string handleInvalid)
    {
        ArgumentNullException.ThrowIfNull(handleInvalid);
        return SetHandleInvalid(handleInvalid.ToLowerInvariant() switch
        {
            "error" => HandleInvalid.Error,
            "skip" => HandleInvalid.Skip,
            "keep" => HandleInvalid.Keep,
            _ => throw new ArgumentException($"handleInvalid must be \"error\", \"skip\" or \"keep\", not \"{handleInvalid}\".", nameof(handleInvalid)),
        });
    }

    /// <summary>The input columns, in slot order.</summary>
    public IReadOnlyList<string> GetInputCols() => (string[])_inputCols.Clone();

    /// <summary>The output column name.</summary>
    public string GetOutputCol() => _outputCol;

    /// <summary>What happens to rows with an invalid input value.</summary>
    public HandleInvalid GetHandleInvalid() => _handleInvalid;

    /// <summary>
    /// Returns a frame with the assembled vector column appended. Lazy: batches are assembled as the result is
    /// read, partition by partition. Only the sizes of vector inputs without size metadata are read now, from
    /// the first rows.
    /// </summary>
    /// <param name="frame">The input frame.</param>
    /// <param name="cancellationToken">Stops the read of vector sizes.</param>
    /// <exception cref="SchemaException">
    /// No input columns are set, or some are missing or of an unsupported type (every such column is listed), or the
    /// output column already exists, or a vector's size is unknown with <see cref="HandleInvalid.Keep"/>.
    /// </exception>
    /// <remarks>When the result is read, an invalid value with <see cref="HandleInvalid.Error"/>, or a vector of the wrong size, throws a <see cref="DataFormatException"/> naming the column and row.</remarks>
    public Frame Transform(Frame frame, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var inputCols = _inputCols;
        var outputCol = _outputCol;
        var handleInvalid = _handleInvalid;
        Validate(frame.Schema, inputCols, outputCol);

        var vectorCols = inputCols.Where(c => frame.Schema.GetFieldByName(c).DataType is ListType).Distinct(StringComparer.Ordinal).ToArray();
        var sizes = VectorSizes.Resolve(frame, vectorCols, cancellationToken);
        var inputs = new List<AssemblerInput>(inputCols.Length);
        var slots = new List<VectorSlot>();
        foreach (var name in inputCols)
        {
            var index = frame.Schema.GetFieldIndex(name);
            var field = frame.Schema.FieldsList[index];
            if (field.DataType is not ListType)
            {
                inputs.Add(new AssemblerInput(name, index, field.DataType, slots.Count, 1, IsVector: false));
                slots.Add(new VectorSlot(name, VectorMetadata.NumericKind));
                continue;
            }

            var size = sizes[System.Array.IndexOf(vectorCols, name)];
            if (size is null && handleInvalid == HandleInvalid.Keep)
            {
                throw new SchemaException($"VectorAssembler cannot tell the size of vector column '{name}': its metadata has no size and it has no non-null value. With handleInvalid = \"keep\" the size must be known; record it with VectorMetadata.WithSize.");
            }

            // With "error" or "skip" an all-null vector column never reaches the output, so its width does not matter.
            var width = size ?? 0;
            var own = VectorMetadata.Read(field)?.Slots;
            inputs.Add(new AssemblerInput(name, index, field.DataType, slots.Count, width, IsVector: true));
            for (var i = 0; i < width; i++)
            {
                var slot = own is not null && i < own.Length ? own[i] : new VectorSlot(null, VectorMetadata.NumericKind);
                slots.Add(new VectorSlot(name + "_" + (string.IsNullOrEmpty(slot.Name) ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : slot.Name), slot.Kind));
            }
        }

        var outputField = new Field(outputCol, new ListType(DoubleType.Default), nullable: false, new Dictionary<string, string> { [VectorMetadata.Key] = VectorMetadata.Write(slots.Count, slots) });
        var schema = new Schema(frame.Schema.FieldsList.Append(outputField), frame.Schema.Metadata);
        var kernel = new VectorAssemblerKernel(schema, inputs.ToArray(), slots.Count, handleInvalid);
        var partitions = frame.Partitions.Select((partition, i) => (FramePartition)(ct => kernel.Run(partition(ct), i, ct))).ToArray();
        return Frame.FromPartitions(schema, partitions, handleInvalid == HandleInvalid.Skip ? null : frame.EstimatedRowCount, frame.IsRowCountExact).WithSession(frame.Session);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"VectorAssembler(inputCols=[{string.Join(", ", _inputCols)}], outputCol={_outputCol}, handleInvalid={_handleInvalid.ToString().ToLowerInvariant()})";

    private static void Validate(Schema schema, string[] inputCols, string outputCol)
    {
        var problems = new List<string>();
        if (inputCols.Length == 0)
        {
            problems.Add("no input columns are set; call SetInputCols");
        }

        foreach (var name in inputCols.Distinct(StringComparer.Ordinal))
        {
            var index = schema.GetFieldIndex(name);
            if (index < 0)
            {
                problems.Add($"input column '{name}' does not exist");
            }
            else if (!IsSupported(schema.FieldsList[index].DataType))
            {
                var type = schema.FieldsList[index].DataType;
                problems.Add($"input column '{name}' has unsupported type {FrameText.TypeName(type)}" + (type is StringType
                    ? " (CSV read without a schema gives string columns: set CsvReadOptions.InferSchema = true, give a schema, or cast the column)"
                    : string.Empty));
            }
        }

        if (schema.GetFieldIndex(outputCol) >= 0)
        {
            problems.Add($"output column '{outputCol}' already exists; choose another name with SetOutputCol or drop it first");
        }

        if (problems.Count > 0)
        {
            throw new SchemaException(
                "VectorAssembler cannot transform the frame: " + string.Join("; ", problems) +
                ". Supported inputs are tinyint, smallint, int, bigint, float, double, boolean and array<double> (vector) columns. Columns: " +
                string.Join(", ", schema.FieldsList.Select(f => f.Name + " " + FrameText.TypeName(f.DataType))) + ".");
        }
    }

    private static bool IsSupported(IArrowType type) => type switch
    {
        Int8Type or Int16Type or Int32Type or Int64Type or FloatType or DoubleType or BooleanType => true,
        ListType { ValueDataType: DoubleType } => true,
        _ => false,
    };
}

/// <summary>One input of an assembler: the column, and the slots it fills in the output vector.</summary>
internal sealed record AssemblerInput(string Name, int ColumnIndex, IArrowType Type, int Offset, int Width, bool IsVector);
