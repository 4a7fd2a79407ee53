using Apache.Arrow;
using Apache.Arrow.Types;

namespace Mlops.Features;

/// <summary>
/// A column expression, like a Spark <c>Column</c>: a reference (<see cref="Functions.Col"/>), a literal
/// (<see cref="Functions.Lit"/>, or any number, string, bool, <see cref="DateOnly"/> or <see cref="DateTime"/>
/// converted implicitly), or operators and functions over them. Expressions are evaluated a whole batch at a
/// time by <see cref="Frame.Filter"/> and <see cref="Frame.WithColumn"/>; their types are checked when the frame
/// is built, so a type error surfaces as a <see cref="SchemaException"/> before any data is read.
/// </summary>
/// <remarks>
/// <para>
/// Semantics are Spark SQL's with ANSI mode off: arithmetic widens to the wider operand (tinyint &lt; smallint &lt; int
/// &lt; bigint &lt; float &lt; double) and integers wrap on overflow; <c>/</c> always gives a double; division or
/// remainder by zero gives null; a null operand gives null; <c>&amp;</c>, <c>|</c> and <c>!</c> follow SQL's
/// three-valued logic; NaN equals NaN and is greater than every other number.
/// </para>
/// <para>
/// <c>==</c> and <c>!=</c> build comparison expressions (SQL <c>=</c>, which is null when either side is null), they
/// do not compare expressions. Use <see cref="EqNullSafe"/> for a comparison that treats null as a value, and
/// <see cref="Equals(object)"/> to ask whether two expressions are the same. Use <c>&amp;</c> and <c>|</c> for AND
/// and OR (<c>&amp;&amp;</c> and <c>||</c> are not available).
/// </para>
/// </remarks>
public abstract class Column
{
    private static readonly Column NullLiteral = new LiteralColumn(null, NullType.Default);

    private protected Column()
    {
    }

    /// <summary>A boolean literal.</summary>
    public static implicit operator Column(bool value) => Functions.Lit(value);

    /// <summary>An int literal.</summary>
    public static implicit operator Column(int value) => Functions.Lit(value);

    /// <summary>A bigint literal.</summary>
    public static implicit operator Column(long value) => Functions.Lit(value);

    /// <summary>A float literal.</summary>
    public static implicit operator Column(float value) => Functions.Lit(value);

    /// <summary>A double literal.</summary>
    public static implicit operator Column(double value) => Functions.Lit(value);

    /// <summary>A string literal (not a column name: use <see cref="Functions.Col"/> for that).</summary>
    public static implicit operator Column(string value) => Functions.Lit(value);

    /// <summary>A date literal.</summary>
    public static implicit operator Column(DateOnly value) => Functions.Lit(value);

    /// <summary>A timestamp literal (microseconds, UTC; a local time is converted to UTC).</summary>
    public static implicit operator Column(DateTime value) => Functions.Lit(value);

    /// <summary>Sum; the wider operand's type.</summary>
    public static Column operator +(Column left, Column right) => new ArithmeticColumn(ArithmeticOperator.Add, Of(left), Of(right));

    /// <summary>Difference; the wider operand's type.</summary>
    public static Column operator -(Column left, Column right) => new ArithmeticColumn(ArithmeticOperator.Subtract, Of(left), Of(right));

    /// <summary>Product; the wider operand's type.</summary>
    public static Column operator *(Column left, Column right) => new ArithmeticColumn(ArithmeticOperator.Multiply, Of(left), Of(right));

    /// <summary>Quotient as a double (also for integers); null when dividing by zero.</summary>
    public static Column operator /(Column left, Column right) => new ArithmeticColumn(ArithmeticOperator.Divide, Of(left), Of(right));

    /// <summary>Remainder with the dividend's sign; null when dividing by zero.</summary>
    public static Column operator %(Column left, Column right) => new ArithmeticColumn(ArithmeticOperator.Remainder, Of(left), Of(right));

    /// <summary>Negation.</summary>
    public static Column operator -(Column operand) => new NegateColumn(Of(operand));

    /// <summary>SQL equality: null if either side is null. Builds an expression; see <see cref="Equals(object)"/> to compare expressions.</summary>
    public static Column operator ==(Column left, Column right) => new ComparisonColumn(ComparisonOperator.Equal, Of(left), Of(right));

    /// <summary>SQL inequality: null if either side is null.</summary>
    public static Column operator !=(Column left, Column right) => new ComparisonColumn(ComparisonOperator.NotEqual, Of(left), Of(right));

    /// <summary>Less than.</summary>
    public static Column operator <(Column left, Column right) => new ComparisonColumn(ComparisonOperator.LessThan, Of(left), Of(right));

    /// <summary>Less than or equal.</summary>
    public static Column operator <=(Column left, Column right) => new ComparisonColumn(ComparisonOperator.LessThanOrEqual, Of(left), Of(right));

    /// <summary>Greater than.</summary>
    public static Column operator >(Column left, Column right) => new ComparisonColumn(ComparisonOperator.GreaterThan, Of(left), Of(right));

    /// <summary>Greater than or equal.</summary>
    public static Column operator >=(Column left, Column right) => new ComparisonColumn(ComparisonOperator.GreaterThanOrEqual, Of(left), Of(right));

    /// <summary>SQL AND: false if either side is false, else null if either is null, else true.</summary>
    public static Column operator &(Column left, Column right) => new LogicalColumn(isAnd: true, Of(left), Of(right));

    /// <summary>SQL OR: true if either side is true, else null if either is null, else false.</summary>
    public static Column operator |(Column left, Column right) => new LogicalColumn(isAnd: false, Of(left), Of(right));

    /// <summary>SQL NOT: null stays null.</summary>
    public static Column operator !(Column operand) => new NotColumn(Of(operand));

    /// <summary>SQL equality, the same as <c>==</c> (Spark's <c>===</c>).</summary>
    public Column EqualTo(Column other) => this == other;

    /// <summary>SQL inequality, the same as <c>!=</c> (Spark's <c>=!=</c>).</summary>
    public Column NotEqualTo(Column other) => this != other;

    /// <summary>Null-safe equality (Spark's <c>&lt;=&gt;</c>): true when both are null, false when one is; never null.</summary>
    public Column EqNullSafe(Column other) => new ComparisonColumn(ComparisonOperator.EqualNullSafe, this, Of(other));

    /// <summary>SQL AND, the same as <c>&amp;</c>.</summary>
    public Column And(Column other) => this & other;

    /// <summary>SQL OR, the same as <c>|</c>.</summary>
    public Column Or(Column other) => this | other;

    /// <summary>True where the value is null; never null itself.</summary>
    public Column IsNull() => new NullTestColumn(this, negate: false);

    /// <summary>True where the value is not null; never null itself.</summary>
    public Column IsNotNull() => new NullTestColumn(this, negate: true);

    /// <summary>True where a float or double value is NaN; false for nulls and for integers.</summary>
    public Column IsNaN() => new IsNaNColumn(this);

    /// <summary><c>lower &lt;= this AND this &lt;= upper</c>.</summary>
    public Column Between(Column lower, Column upper) => (this >= lower) & (this <= upper);

    /// <summary>
    /// True if the value equals one of <paramref name="values"/>; as in SQL, null (not false) when nothing matches and
    /// the value or one of the candidates is null.
    /// </summary>
    public Column IsIn(params Column[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length == 0)
        {
            throw new ArgumentException("IsIn needs at least one value.", nameof(values));
        }

        return values.Skip(1).Aggregate(this == values[0], (acc, v) => acc | (this == v));
    }

    /// <summary>Converts the values to <paramref name="type"/> with Spark's cast rules (text that does not parse gives null).</summary>
    public Column Cast(IArrowType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return new CastColumn(this, type);
    }

    /// <summary>Converts the values to a type named as in Spark SQL: <c>boolean</c>, <c>tinyint</c>, <c>smallint</c>, <c>int</c>, <c>bigint</c>, <c>float</c>, <c>double</c>, <c>string</c>, <c>date</c>, <c>timestamp</c>, <c>array&lt;double&gt;</c>.</summary>
    /// <exception cref="ArgumentException">The name is not a known type.</exception>
    public Column Cast(string typeName) => new CastColumn(this, ExpressionTypes.Parse(typeName));

    /// <summary>The same expression under another name.</summary>
    public Column Alias(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new AliasColumn(this, name);
    }

    /// <summary>The same as <see cref="Alias"/>.</summary>
    public Column As(string name) => Alias(name);

    /// <summary>Whether <paramref name="obj"/> is the same expression (same structure and text), not a comparison; see <c>==</c>.</summary>
    public override bool Equals(object? obj) => obj is Column other && other.GetType() == GetType() && other.ToString() == ToString();

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(GetType(), ToString());

    /// <summary>The expression in Spark SQL's notation, e.g. <c>((a + 1) &gt; b)</c>.</summary>
    public abstract override string ToString();

    /// <summary>The name a frame gives this expression's column: the alias or column name, else its text.</summary>
    internal virtual string OutputName => ToString();

    /// <summary>Resolves names and checks types against <paramref name="schema"/>.</summary>
    /// <exception cref="SchemaException">A column does not exist or an operand has the wrong type.</exception>
    internal abstract BoundExpression Bind(Schema schema);

    /// <summary>A null reference stands for the null literal, so that <c>Col("a") == null</c> means SQL's <c>a = NULL</c>.</summary>
    private protected static Column Of(Column? column) => column ?? NullLiteral;

    /// <summary>A type error naming this expression and what to do.</summary>
    private protected SchemaException TypeError(string detail) => new($"Cannot evaluate {this}: {detail}");
}
