using Apache.Arrow;
using Apache.Arrow.Types;

namespace Mlops.Features;

/// <summary>Binary arithmetic: <c>+ - * / %</c>.</summary>
internal sealed class ArithmeticColumn(ArithmeticOperator op, Column left, Column right) : Column
{
    public override string ToString() => $"({left} {Symbol} {right})";

    private string Symbol => op switch
    {
        ArithmeticOperator.Add => "+",
        ArithmeticOperator.Subtract => "-",
        ArithmeticOperator.Multiply => "*",
        ArithmeticOperator.Divide => "/",
        _ => "%",
    };

    internal override BoundExpression Bind(Schema schema)
    {
        var l = left.Bind(schema);
        var r = right.Bind(schema);
        foreach (var (side, bound) in new[] { (left, l), (right, r) })
        {
            if (!ExpressionTypes.IsNumeric(bound.Type) && bound.Type is not NullType)
            {
                throw TypeError($"operator {Symbol} needs numeric operands, but {side} is {ExpressionTypes.Name(bound.Type)}. Cast it first, e.g. .Cast(\"double\").");
            }
        }

        var type = op == ArithmeticOperator.Divide || (l.Type is NullType && r.Type is NullType)
            ? DoubleType.Default
            : ExpressionTypes.Common(l.Type, r.Type, stringsToDates: false)!;
        var lc = l.CastTo(type);
        var rc = r.CastTo(type);
        return new BoundExpression(type, batch => ArithmeticKernels.Apply(op, lc.Evaluate(batch), rc.Evaluate(batch), type), lc.IsConstant && rc.IsConstant);
    }
}

/// <summary>Unary minus.</summary>
internal sealed class NegateColumn(Column operand) : Column
{
    public override string ToString() => $"(- {operand})";

    internal override BoundExpression Bind(Schema schema)
    {
        var bound = operand.Bind(schema);
        if (bound.Type is NullType)
        {
            bound = bound.CastTo(DoubleType.Default);
        }

        if (!ExpressionTypes.IsNumeric(bound.Type))
        {
            throw TypeError($"negation needs a numeric operand, but {operand} is {ExpressionTypes.Name(bound.Type)}.");
        }

        return new BoundExpression(bound.Type, batch => ArithmeticKernels.Negate(bound.Evaluate(batch)));
    }
}

/// <summary>Comparisons: <c>= != &lt; &lt;= &gt; &gt;= &lt;=&gt;</c>.</summary>
internal sealed class ComparisonColumn(ComparisonOperator op, Column left, Column right) : Column
{
    public override string ToString() => $"({left} {Symbol} {right})";

    private string Symbol => op switch
    {
        ComparisonOperator.Equal => "=",
        ComparisonOperator.NotEqual => "!=",
        ComparisonOperator.LessThan => "<",
        ComparisonOperator.LessThanOrEqual => "<=",
        ComparisonOperator.GreaterThan => ">",
        ComparisonOperator.GreaterThanOrEqual => ">=",
        _ => "<=>",
    };

    internal override BoundExpression Bind(Schema schema)
    {
        var l = left.Bind(schema);
        var r = right.Bind(schema);
        var common = ExpressionTypes.Common(l.Type, r.Type, stringsToDates: true);
        if (common is null || (!ExpressionTypes.IsFrameType(common) && common is not NullType))
        {
            throw TypeError($"cannot compare {left} ({ExpressionTypes.Name(l.Type)}) with {right} ({ExpressionTypes.Name(r.Type)}). Cast one side to the other's type.");
        }

        // Two null literals compare as booleans: every result is null (or true for <=>).
        common = common is NullType ? BooleanType.Default : common;
        var lc = l.CastTo(common);
        var rc = r.CastTo(common);
        return new BoundExpression(BooleanType.Default, batch => ComparisonKernels.Apply(op, lc.Evaluate(batch), rc.Evaluate(batch)), lc.IsConstant && rc.IsConstant);
    }
}

/// <summary>AND and OR with three-valued logic.</summary>
internal sealed class LogicalColumn(bool isAnd, Column left, Column right) : Column
{
    public override string ToString() => $"({left} {(isAnd ? "AND" : "OR")} {right})";

    internal override BoundExpression Bind(Schema schema)
    {
        var l = RequireBoolean(left, left.Bind(schema));
        var r = RequireBoolean(right, right.Bind(schema));
        return new BoundExpression(BooleanType.Default, batch => isAnd ? LogicalKernels.And(l.Evaluate(batch), r.Evaluate(batch)) : LogicalKernels.Or(l.Evaluate(batch), r.Evaluate(batch)));
    }

    private BoundExpression RequireBoolean(Column side, BoundExpression bound) =>
        bound.Type is BooleanType or NullType
            ? bound.CastTo(BooleanType.Default)
            : throw TypeError($"{(isAnd ? "AND" : "OR")} needs boolean operands, but {side} is {ExpressionTypes.Name(bound.Type)}.");
}

/// <summary>NOT with three-valued logic.</summary>
internal sealed class NotColumn(Column operand) : Column
{
    public override string ToString() => $"(NOT {operand})";

    internal override BoundExpression Bind(Schema schema)
    {
        var bound = operand.Bind(schema);
        if (bound.Type is not (BooleanType or NullType))
        {
            throw TypeError($"NOT needs a boolean operand, but {operand} is {ExpressionTypes.Name(bound.Type)}.");
        }

        var boolean = bound.CastTo(BooleanType.Default);
        return new BoundExpression(BooleanType.Default, batch => LogicalKernels.Not(boolean.Evaluate(batch)));
    }
}
