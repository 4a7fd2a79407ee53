using Mlops.Features.Text;

namespace Mlops.Features.Json;

/// <summary>An immutable copy of <see cref="JsonReadOptions"/>.</summary>
internal sealed class JsonSettings : TextSettings
{
    public JsonSettings(JsonReadOptions options)
        : base(options, new TextValueParser(new TemporalParser(options.DateFormat, options.TimestampFormat)))
    {
    }
}
