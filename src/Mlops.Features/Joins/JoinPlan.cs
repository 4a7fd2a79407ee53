using Apache.Arrow;
using Apache.Arrow.Types;

namespace Mlops.Features.Joins;

/// <summary>How the values of one key column are compared: as 64-bit integers, as doubles, or as UTF-8 bytes.</summary>
internal enum JoinKeyKind
{
    /// <summary>Integers of any width, booleans, dates and timestamps, compared as <see cref="long"/>.</summary>
    Integer,

    /// <summary>Float and double, compared as double with NaN equal to NaN and -0.0 equal to 0.0.</summary>
    Floating,

    /// <summary>Strings, compared byte by byte in UTF-8.</summary>
    Utf8,
}

/// <summary>One key column of a join: where it is on each side, how it is compared, and its output field.</summary>
internal sealed record JoinKey(string Name, int LeftIndex, int RightIndex, JoinKeyKind Kind, Field OutputField);

/// <summary>
/// A validated join: key columns, the non-key columns each side contributes, the output schema (Spark's
/// <c>JOIN USING</c> layout) and which side the hash table is built on.
/// </summary>
internal sealed class JoinPlan
{
    private JoinPlan(JoinType how, JoinKey[] keys, int[] leftValues, int[] rightValues, Schema output, bool buildOnLeft)
    {
        How = how;
        Keys = keys;
        LeftValueIndices = leftValues;
        RightValueIndices = rightValues;
        OutputSchema = output;
        BuildOnLeft = buildOnLeft;
    }

    public JoinType How { get; }

    public IReadOnlyList<JoinKey> Keys { get; }

    /// <summary>The left's non-key columns, in the left's order.</summary>
    public IReadOnlyList<int> LeftValueIndices { get; }

    /// <summary>The right's non-key columns, in the right's order; none for semi and anti joins.</summary>
    public IReadOnlyList<int> RightValueIndices { get; }

    public Schema OutputSchema { get; }

    /// <summary>Whether the hash table holds the left side (and the right side is streamed through it).</summary>
    public bool BuildOnLeft { get; }

    public static JoinPlan Create(Frame left, Frame right, IReadOnlyList<string> on, JoinType how)
    {
        ArgumentNullException.ThrowIfNull(right);
        ArgumentNullException.ThrowIfNull(on);
        if (!Enum.IsDefined(how))
        {
            throw new ArgumentOutOfRangeException(nameof(how), how, "Unknown join type.");
        }

        if (on.Count == 0)
        {
            throw new ArgumentException("A join needs at least one key column; cross joins are not supported.", nameof(on));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in on)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException("Join key names must not be null or empty.", nameof(on));
            }

            if (!seen.Add(name))
            {
                throw new ArgumentException($"Join key '{name}' is listed more than once.", nameof(on));
            }
        }

        var leftSchema = left.Schema;
        var rightSchema = right.Schema;
        var keys = new JoinKey[on.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            var name = on[i];
            var l = KeyIndex(leftSchema, name, "left");
            var r = KeyIndex(rightSchema, name, "right");
            var lf = leftSchema.FieldsList[l];
            var rf = rightSchema.FieldsList[r];
            var (kind, type) = CompareAs(name, lf.DataType, rf.DataType);
            // The output key is the left's (the right's for right joins), so it has that side's nullability; a
            // full join's coalesced key is null only for a row whose own side's key is null.
            var nullable = how switch
            {
                JoinType.Right => rf.IsNullable,
                JoinType.Full => lf.IsNullable || rf.IsNullable,
                _ => lf.IsNullable,
            };
            keys[i] = new JoinKey(name, l, r, kind, new Field(name, type, nullable, lf.Metadata));
        }

        var leftValues = ValueIndices(leftSchema, seen);
        var rightValues = how is JoinType.LeftSemi or JoinType.LeftAnti ? [] : ValueIndices(rightSchema, seen);
        var clashes = rightValues
            .Select(i => rightSchema.FieldsList[i].Name)
            .Where(n => leftSchema.GetFieldIndex(n) >= 0)
            .ToArray();
        if (clashes.Length > 0)
        {
            var names = string.Join(", ", clashes.Select(c => "'" + c + "'"));
            var what = clashes.Length == 1
                ? $"column {names} exists on both sides but is not a join key"
                : $"columns {names} exist on both sides but are not join keys";
            throw new SchemaException(
                $"Cannot join: {what}, so the result would have duplicate names. " +
                "Rename them on one side with WithColumnRenamed, remove them with Drop, or add them to the join keys.");
        }

        var leftNullable = how is JoinType.Right or JoinType.Full;
        var rightNullable = how is JoinType.Left or JoinType.Full;
        var fields = new List<Field>(keys.Length + leftValues.Length + rightValues.Length);
        fields.AddRange(keys.Select(k => k.OutputField));
        fields.AddRange(leftValues.Select(i => Nullable(leftSchema.FieldsList[i], leftNullable)));
        fields.AddRange(rightValues.Select(i => Nullable(rightSchema.FieldsList[i], rightNullable)));
        var output = new Schema(fields, leftSchema.Metadata);

        var buildOnLeft = how switch
        {
            JoinType.Right => true,
            JoinType.Inner or JoinType.Full => IsSmaller(left.EstimatedRowCount, right.EstimatedRowCount),
            _ => false,
        };
        return new JoinPlan(how, keys, leftValues, rightValues, output, buildOnLeft);
    }

    /// <summary>
    /// Decides how two key types are compared and which type the output key takes: identical types as
    /// themselves, integers of different widths as long (output: the type that holds both), float and
    /// double as double.
    /// </summary>
    internal static (JoinKeyKind Kind, IArrowType Output) CompareAs(string name, IArrowType left, IArrowType right)
    {
        if (IntegerWidth(left) is { } lw && IntegerWidth(right) is { } rw && Wider(left, lw, right, rw) is { } wider)
        {
            return (JoinKeyKind.Integer, wider);
        }

        if (left is FloatType or DoubleType && right is FloatType or DoubleType)
        {
            return (JoinKeyKind.Floating, left is DoubleType || right is DoubleType ? DoubleType.Default : FloatType.Default);
        }

        if (SchemaChecks.SameType(left, right))
        {
            switch (left)
            {
                case BooleanType or Date32Type or Date64Type or TimestampType:
                    return (JoinKeyKind.Integer, left);
                case StringType:
                    return (JoinKeyKind.Utf8, left);
            }
        }

        var supported = left is ListType || right is ListType
            ? " List columns cannot be join keys."
            : " Key types must be identical, both integers, or both floating point; convert one side first.";
        throw new SchemaException(
            $"Cannot join on '{name}': the left column is {FrameText.TypeName(left)} and the right column is {FrameText.TypeName(right)}.{supported}");
    }

    private static int KeyIndex(Schema schema, string name, string side)
    {
        var index = schema.GetFieldIndex(name);
        if (index < 0)
        {
            throw new SchemaException(
                $"Cannot join: key column '{name}' does not exist in the {side} frame. {char.ToUpperInvariant(side[0])}{side[1..]} columns: {string.Join(", ", schema.FieldsList.Select(f => f.Name))}.");
        }

        return index;
    }

    private static int[] ValueIndices(Schema schema, HashSet<string> keys) =>
        Enumerable.Range(0, schema.FieldsList.Count).Where(i => !keys.Contains(schema.FieldsList[i].Name)).ToArray();

    private static Field Nullable(Field field, bool force) =>
        force && !field.IsNullable ? new Field(field.Name, field.DataType, true, field.Metadata) : field;

    // The left builds only when both sizes are known and the left is smaller. With an unknown size the
    // right builds: `fact.Join(dimension)` is how joins are written, and ties go right as in Spark.
    private static bool IsSmaller(long? left, long? right) => left is { } l && right is { } r && l < r;

    // Width in bits, negative for unsigned types; null for non-integers.
    private static int? IntegerWidth(IArrowType type) => type switch
    {
        Int8Type => 8,
        Int16Type => 16,
        Int32Type => 32,
        Int64Type => 64,
        UInt8Type => -8,
        UInt16Type => -16,
        UInt32Type => -32,
        UInt64Type => -64,
        _ => null,
    };

    // The narrowest type that holds every value of both, or null when none does (uint64 with a signed type).
    private static IArrowType? Wider(IArrowType left, int lw, IArrowType right, int rw)
    {
        if (lw == rw)
        {
            return left;
        }

        if ((lw > 0) == (rw > 0))
        {
            return Math.Abs(lw) >= Math.Abs(rw) ? left : right;
        }

        if (lw == -64 || rw == -64)
        {
            return null;
        }

        var bits = Math.Max(Math.Max(lw, rw), 2 * -Math.Min(lw, rw));
        return bits switch
        {
            16 => Int16Type.Default,
            32 => Int32Type.Default,
            _ => Int64Type.Default,
        };
    }
}
