namespace Mlops.Tracking;

/// <summary>Makes readable run names like MLflow's (<c>adjective-noun-123</c>) for runs started without one.</summary>
internal static class RunNames
{
    private static readonly string[] s_adjectives =
        ["able", "bold", "brave", "bright", "calm", "clever", "crisp", "eager", "fair", "gentle", "keen", "lively", "merry", "noble", "quick", "quiet", "sharp", "swift", "vivid", "wise"];

    private static readonly string[] s_nouns =
        ["ant", "bass", "crane", "deer", "eel", "finch", "fox", "gull", "hare", "ibis", "jay", "koi", "lark", "mole", "newt", "owl", "pike", "ram", "seal", "wren"];

    public static string Generate()
    {
        var random = Random.Shared;
        return $"{s_adjectives[random.Next(s_adjectives.Length)]}-{s_nouns[random.Next(s_nouns.Length)]}-{random.Next(1000)}";
    }
}
