using Mlops.Features.Joins;

namespace Mlops.Features;

/// <content>Joins on key columns, with the semantics of Spark's <c>df.join(other, Seq("k"), how)</c>.</content>
public sealed partial class Frame
{
    /// <summary>Inner-joins with <paramref name="other"/> on one key column present on both sides.</summary>
    /// <inheritdoc cref="Join(Frame, IReadOnlyList{string}, JoinType)" path="/remarks"/>
    /// <inheritdoc cref="Join(Frame, IReadOnlyList{string}, JoinType)" path="/exception"/>
    public Frame Join(Frame other, string on) => Join(other, [on], JoinType.Inner);

    /// <summary>Joins with <paramref name="other"/> on one key column present on both sides.</summary>
    /// <inheritdoc cref="Join(Frame, IReadOnlyList{string}, JoinType)" path="/remarks"/>
    /// <inheritdoc cref="Join(Frame, IReadOnlyList{string}, JoinType)" path="/exception"/>
    public Frame Join(Frame other, string on, JoinType how) => Join(other, [on], how);

    /// <summary>Joins with <paramref name="other"/> on one key column, with a Spark join type name such as <c>"left_outer"</c> (see <see cref="JoinTypes.Parse"/>).</summary>
    /// <inheritdoc cref="Join(Frame, IReadOnlyList{string}, JoinType)" path="/remarks"/>
    /// <exception cref="ArgumentException">The join type name is unknown or is <c>cross</c>.</exception>
    /// <inheritdoc cref="Join(Frame, IReadOnlyList{string}, JoinType)" path="/exception"/>
    public Frame Join(Frame other, string on, string how) => Join(other, [on], JoinTypes.Parse(how));

    /// <summary>Joins with <paramref name="other"/> on key columns, with a Spark join type name such as <c>"left_outer"</c> (see <see cref="JoinTypes.Parse"/>).</summary>
    /// <inheritdoc cref="Join(Frame, IReadOnlyList{string}, JoinType)" path="/remarks"/>
    /// <exception cref="ArgumentException">The join type name is unknown or is <c>cross</c>.</exception>
    /// <inheritdoc cref="Join(Frame, IReadOnlyList{string}, JoinType)" path="/exception"/>
    public Frame Join(Frame other, IReadOnlyList<string> on, string how) => Join(other, on, JoinTypes.Parse(how));

    /// <summary>
    /// Joins with <paramref name="other"/> on key columns present on both sides under the same names, like
    /// Spark's <c>df.join(other, Seq(on...), how)</c>. Lazy: nothing is read until an action runs.
    /// </summary>
    /// <param name="other">The right side.</param>
    /// <param name="on">The key column names, at least one.</param>
    /// <param name="how">The join type.</param>
    /// <returns>
    /// A frame with the key columns once, first, in <paramref name="on"/> order; then this frame's other
    /// columns; then <paramref name="other"/>'s other columns (none for semi and anti joins). Key values are
    /// the left's, the right's for right joins, and the left's or else the right's for full joins.
    /// </returns>
    /// <remarks>
    /// Null keys never match, but the row still appears in outer joins with nulls on the other side. NaN
    /// equals NaN and -0.0 equals 0.0. Keys may be integers of different widths or a float and a double;
    /// the output key takes the wider type. The join is a hash join: the smaller side (by
    /// <see cref="EstimatedRowCount"/>, the right side when either count is unknown; the right side for left, semi and anti joins, the left side for right
    /// joins) is read into memory once, on first use, and the other side streams through it, one output
    /// partition per input partition, in parallel. The hash table stays with the returned frame, so later
    /// actions on it reuse the table instead of reading the build side again; a full join also re-reads the
    /// streamed side's key columns once per action to find the build rows nothing matched.
    /// </remarks>
    /// <exception cref="SchemaException">
    /// A key column is missing on one side; key types are incompatible; or a non-key column name exists on
    /// both sides (rename it with <see cref="WithColumnRenamed"/> or remove it with <see cref="Drop"/>).
    /// </exception>
    public Frame Join(Frame other, IReadOnlyList<string> on, JoinType how = JoinType.Inner)
    {
        var plan = JoinPlan.Create(this, other, on, how);
        return HashJoin.Create(this, other, plan);
    }
}
