namespace Mlops.Distributed.Cluster;

/// <summary>
/// The cluster settings (environment variables such as <c>TF_CONFIG</c> or <c>RANK</c>, or explicit options) are missing,
/// malformed or inconsistent. <see cref="Variable"/> names the setting at fault.
/// </summary>
public class ClusterConfigurationException : MlopsException
{
    /// <summary>Creates the exception; the message reads <c>variable: detail</c>.</summary>
    /// <param name="variable">The environment variable or option at fault, such as <c>WORLD_SIZE</c>.</param>
    /// <param name="detail">What is wrong and what to do.</param>
    public ClusterConfigurationException(string variable, string detail)
        : base($"{variable}: {detail}")
    {
        Variable = variable;
        Detail = detail;
    }

    /// <summary>The environment variable or option at fault.</summary>
    public string Variable { get; }

    /// <summary>What is wrong, without the variable prefix.</summary>
    public string Detail { get; }
}
