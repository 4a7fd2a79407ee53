namespace Mlops.Features;

/// <summary>
/// Options for <see cref="Frame.ReadJson(string, JsonReadOptions?)"/>, which reads JSON lines: one JSON
/// object per line, blank lines skipped.
/// </summary>
/// <remarks>
/// <para>Without a <see cref="TextReadOptions.Schema"/> the reader infers one from
/// <see cref="TextReadOptions.SamplingRows"/> lines of each file, merged across files, with columns
/// sorted by name as Spark does: <c>true</c>/<c>false</c> give boolean, integers bigint, other numbers
/// double, strings string, arrays of numbers <c>list&lt;double&gt;</c> (a vector). Nested objects and
/// other arrays are kept as their raw JSON text in a string column. Mixed types widen (bigint and double
/// to double, anything else to string); a field that is only ever null is a string. In
/// <see cref="ReadMode.Permissive"/> mode, if the sample holds malformed lines, a
/// <see cref="TextReadOptions.ColumnNameOfCorruptRecord"/> string column is added.</para>
/// <para>With an explicit schema: bigint, int, smallint and tinyint columns take JSON integers; double and
/// float columns take numbers and the strings "NaN", "Infinity" and "-Infinity"; boolean columns take
/// <c>true</c>/<c>false</c>; string columns take strings, and the raw text of numbers, booleans, objects
/// and arrays; date columns take strings (see <see cref="TextReadOptions.DateFormat"/>); timestamp
/// columns take strings (see <see cref="TextReadOptions.TimestampFormat"/>) or integers, as seconds
/// since the Unix epoch; <c>list&lt;double&gt;</c> columns take arrays of numbers. Anything else makes
/// the line malformed. Fields missing from a line are null; when a key repeats, the last value wins;
/// keys not in the schema are ignored.</para>
/// </remarks>
public sealed class JsonReadOptions : TextReadOptions
{
}
