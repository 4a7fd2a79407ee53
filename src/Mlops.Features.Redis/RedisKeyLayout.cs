using System.Globalization;
using System.Text;

namespace Mlops.Features.Redis;

/// <summary>
/// Where rows live in Redis: the hash of one (project, feature view, entity key) is
/// <c>{prefix}{project length}:{project}:{view length}:{view}:{canonical entity key}</c>. The lengths make the layout
/// unambiguous whatever the names contain (no project/view pair can produce another's prefix), and all of a view's
/// keys share one prefix, which is how <see cref="RedisOnlineStore.DeleteFeatureViewAsync"/> finds them.
/// </summary>
internal static class RedisKeyLayout
{
    /// <summary>The key prefix of every row of one view; a row's key is this plus the entity key's canonical form.</summary>
    public static string ViewPrefix(string keyPrefix, string project, string featureView) =>
        string.Create(CultureInfo.InvariantCulture, $"{keyPrefix}{project.Length}:{project}:{featureView.Length}:{featureView}:");

    /// <summary>The hash field of a feature (<c>f:</c> keeps feature names apart from the timestamp fields).</summary>
    public static string FeatureField(string feature) => "f:" + feature;

    /// <summary><paramref name="text"/> as a SCAN <c>MATCH</c> pattern that matches exactly itself.</summary>
    public static string GlobEscape(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\' or '^' or '-')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
