using System.Text;
using System.Text.Json;

namespace Mlops.Tracking.Search;

/// <summary>MLflow's page tokens: base64 of <c>{"offset": n}</c>, so tokens pass between our stores and MLflow's clients.</summary>
public static class PageToken
{
    /// <summary>The offset a token stands for; 0 for null or empty.</summary>
    /// <exception cref="MlflowException">The token is not one this store issued (INVALID_PARAMETER_VALUE).</exception>
    public static int Decode(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return 0;
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(token);
        }
        catch (FormatException)
        {
            throw MlflowException.InvalidParameter($"Invalid page token '{token}', could not base64-decode.");
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.TryGetProperty("offset", out var offset) && offset.TryGetInt32(out var value) && value >= 0)
            {
                return value;
            }
        }
        catch (JsonException)
        {
        }

        throw MlflowException.InvalidParameter($"Invalid page token '{token}', decoded value={Encoding.UTF8.GetString(bytes)}.");
    }

    /// <summary>The token for an offset.</summary>
    public static string Encode(int offset) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"offset\": {offset}}}"));
}
