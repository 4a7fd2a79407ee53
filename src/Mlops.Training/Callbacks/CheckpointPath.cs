using System.Globalization;
using System.Text.RegularExpressions;

namespace Mlops.Training.Callbacks;

/// <summary>
/// Fills a Keras-style checkpoint path: <c>{epoch}</c> (1-based, as Keras), <c>{batch}</c>, and any logged quantity by
/// name, each optionally with a Python format such as <c>{epoch:02d}</c> or <c>{val_loss:.3f}</c>.
/// </summary>
internal static partial class CheckpointPath
{
    public static string Format(string template, int epoch, long? batch, TrainingLogs logs) => Placeholder().Replace(template, match =>
    {
        var name = match.Groups["name"].Value;
        var format = match.Groups["format"].Success ? match.Groups["format"].Value : null;
        double value = name switch
        {
            "epoch" => epoch + 1,
            "batch" when batch is { } b => b + 1,
            _ => logs.TryGetValue(name, out var logged)
                ? logged
                : throw new InvalidOperationException($"The checkpoint path '{template}' names '{name}', which the logs do not have; they have: {string.Join(", ", logs.Keys)}."),
        };
        return Render(value, format, template);
    });

    private static string Render(double value, string? format, string template)
    {
        if (format is null)
        {
            return value == Math.Floor(value) && Math.Abs(value) < 1e15 ? ((long)value).ToString(CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
        }

        var match = PythonFormat().Match(format);
        if (!match.Success)
        {
            throw new ArgumentException($"The checkpoint path '{template}' uses the format '{format}'; supported: 0Nd, Nd, .Nf, .Ne.");
        }

        var digits = match.Groups["digits"].Success ? int.Parse(match.Groups["digits"].Value, CultureInfo.InvariantCulture) : 0;
        return match.Groups["kind"].Value switch
        {
            "d" => ((long)Math.Round(value)).ToString(match.Groups["zero"].Success ? "D" + digits.ToString(CultureInfo.InvariantCulture) : "D", CultureInfo.InvariantCulture),
            "f" => value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
            _ => value.ToString("0." + new string('0', digits) + "e+00", CultureInfo.InvariantCulture),
        };
    }

    [GeneratedRegex(@"\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(:(?<format>[^}]*))?\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^(?<zero>0)?(?<digits>\d+)?(?<kind>d)$|^\.(?<digits>\d+)(?<kind>[fe])$")]
    private static partial Regex PythonFormat();
}
