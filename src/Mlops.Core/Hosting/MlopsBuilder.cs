using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Mlops.Hosting;

/// <summary>
/// What <c>services.AddMlops(...)</c> returns: every Mlops package adds itself to it (<c>.AddStorage()</c>,
/// <c>.AddFeatures()</c>, <c>.AddTracking()</c>, <c>.AddTraining()</c>, <c>.AddPipelines()</c>, ...), each binding its
/// options from the <c>Mlops:&lt;Package&gt;</c> configuration section when the builder was given configuration, then
/// applying the code overrides, and validating them when the host starts.
/// </summary>
public sealed class MlopsBuilder
{
    internal MlopsBuilder(IServiceCollection services, IConfiguration? configuration)
    {
        Services = services;
        Configuration = configuration;
    }

    /// <summary>The host's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The <c>Mlops</c> configuration section the packages bind their options from, or null when options come from code only.</summary>
    public IConfiguration? Configuration { get; }

    /// <summary>
    /// Registers <typeparamref name="TOptions"/> the one way every package does: bound from
    /// <paramref name="section"/> (when given), then <paramref name="configure"/>, validated by DataAnnotations and
    /// <typeparamref name="TValidator"/> when the host starts (failures throw <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>).
    /// </summary>
    /// <typeparam name="TOptions">The package's options.</typeparam>
    /// <typeparam name="TValidator">The package's validator for the rules DataAnnotations cannot express.</typeparam>
    /// <param name="section">The configuration section, or null.</param>
    /// <param name="configure">Code overrides, applied after the configuration, or null.</param>
    /// <returns>This builder, for chaining.</returns>
    public MlopsBuilder AddOptions<TOptions, TValidator>(IConfiguration? section, Action<TOptions>? configure)
        where TOptions : class
        where TValidator : class, Microsoft.Extensions.Options.IValidateOptions<TOptions>
    {
        MlopsOptions.Register<TOptions, TValidator>(Services, section, configure);
        return this;
    }

    /// <summary>The sub-section <paramref name="name"/> of <see cref="Configuration"/> (<c>Mlops:&lt;name&gt;</c>), or null without configuration.</summary>
    /// <param name="name">The package's section name, such as <c>Tracking</c>.</param>
    /// <returns>The section, or null.</returns>
    public IConfiguration? Section(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Configuration?.GetSection(name);
    }
}
