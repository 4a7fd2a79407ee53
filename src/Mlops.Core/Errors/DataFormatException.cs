using System.Text;

namespace Mlops;

/// <summary>
/// Input data is malformed or does not match the expected schema. The message and the properties name
/// where: the file, the line (text formats) or row group (Parquet), and the column.
/// </summary>
public class DataFormatException : MlopsException
{
    /// <summary>Creates the exception; the message is prefixed with the location, as <c>file:line: column 'c': detail</c>.</summary>
    /// <param name="detail">What is wrong and, where possible, what to do about it.</param>
    /// <param name="source">The file or URL being read.</param>
    /// <param name="line">1-based line number in a text file, if known.</param>
    /// <param name="column">The column (field) name, if known.</param>
    /// <param name="rowGroup">0-based Parquet row group, if known.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public DataFormatException(string detail, string? source = null, long? line = null, string? column = null, int? rowGroup = null, Exception? innerException = null)
        : base(Format(detail, source, line, column, rowGroup), innerException)
    {
        Detail = detail;
        SourceName = source;
        Line = line;
        Column = column;
        RowGroup = rowGroup;
    }

    /// <summary>What is wrong, without the location prefix.</summary>
    public string Detail { get; }

    /// <summary>The file or URL being read, if known.</summary>
    public string? SourceName { get; }

    /// <summary>1-based line number in a text file, if known.</summary>
    public long? Line { get; }

    /// <summary>The column (field) at fault, if known.</summary>
    public string? Column { get; }

    /// <summary>0-based Parquet row group, if known.</summary>
    public int? RowGroup { get; }

    private static string Format(string detail, string? source, long? line, string? column, int? rowGroup)
    {
        var sb = new StringBuilder();
        if (source is not null)
        {
            sb.Append(source);
        }

        if (line is not null)
        {
            sb.Append(sb.Length > 0 ? ":" : "line ").Append(line.Value);
        }

        if (rowGroup is not null)
        {
            sb.Append(sb.Length > 0 ? ", " : string.Empty).Append("row group ").Append(rowGroup.Value);
        }

        if (column is not null)
        {
            sb.Append(sb.Length > 0 ? ", " : string.Empty).Append("column '").Append(column).Append('\'');
        }

        return sb.Length == 0 ? detail : sb.Append(": ").Append(detail).ToString();
    }
}
