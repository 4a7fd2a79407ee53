using Mlops.Features.Text;

namespace Mlops.Features.Tests.Text;

public sealed class InferredTypeTests
{
    private readonly TextValueParser _parser = new(new TemporalParser(null, null), "NaN", "Inf", "-Inf");

    [Theory]
    [InlineData("0", "Int")]
    [InlineData("-2147483648", "Int")]
    [InlineData("+12", "Int")]
    [InlineData("2147483648", "Long")]
    [InlineData("1.5", "Double")]
    [InlineData(".5", "Double")]
    [InlineData("1e10", "Double")]
    [InlineData("Inf", "Double")]
    [InlineData("NaN", "Double")]
    [InlineData("True", "Bool")]
    [InlineData("false", "Bool")]
    [InlineData("2024-01-02", "Date")]
    [InlineData("2024-01-02T03:04:05Z", "Timestamp")]
    [InlineData(" 1", "String")]
    [InlineData("1 ", "String")]
    [InlineData("1,5", "String")]
    [InlineData("0x10", "String")]
    [InlineData("yes", "String")]
    public void ClassifiesFieldText(string text, string expected) =>
        Assert.Equal(Enum.Parse<InferredType>(expected), _parser.Infer(System.Text.Encoding.UTF8.GetBytes(text)));

    [Theory]
    [InlineData("Null", "Int", "Int")]
    [InlineData("Int", "Long", "Long")]
    [InlineData("Long", "Double", "Double")]
    [InlineData("Double", "Int", "Double")]
    [InlineData("Date", "Timestamp", "Timestamp")]
    [InlineData("Bool", "Int", "String")]
    [InlineData("Date", "Int", "String")]
    [InlineData("Vector", "RawJson", "RawJson")]
    [InlineData("Vector", "Double", "String")]
    [InlineData("String", "Null", "String")]
    public void MergeWidensSymmetrically(string first, string second, string widened)
    {
        var a = Enum.Parse<InferredType>(first);
        var b = Enum.Parse<InferredType>(second);
        var expected = Enum.Parse<InferredType>(widened);
        Assert.Equal(expected, InferredTypes.Merge(a, b));
        Assert.Equal(expected, InferredTypes.Merge(b, a));
    }

    [Fact]
    public void NumbersParseStrictly()
    {
        Assert.True(TextValueParser.TryParseLong("-9223372036854775808"u8, out var min));
        Assert.Equal(long.MinValue, min);
        Assert.False(TextValueParser.TryParseLong("9223372036854775808"u8, out _));
        Assert.False(TextValueParser.TryParseLong(""u8, out _));
        Assert.False(TextValueParser.TryParseLong("1.0"u8, out _));
        Assert.True(_parser.TryParseDouble("-0.1e-2"u8, out var d));
        Assert.Equal(-0.001, d);
        Assert.True(_parser.TryParseDouble("Infinity"u8, out var inf));
        Assert.Equal(double.PositiveInfinity, inf);
        Assert.False(_parser.TryParseDouble("1.0.0"u8, out _));
        Assert.False(_parser.TryParseDouble(" 1.0"u8, out _));
    }
}
