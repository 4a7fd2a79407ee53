using Microsoft.Extensions.Configuration;
using Mlops.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The one entry point of Mlops in a host: <c>services.AddMlops(configuration).AddStorage().AddTracking()...</c>.</summary>
public static class MlopsServiceCollectionExtensions
{
    /// <summary>Starts registering Mlops packages whose options come from code only.</summary>
    /// <param name="services">The host's services.</param>
    /// <returns>The builder each package adds itself to.</returns>
    public static MlopsBuilder AddMlops(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return new MlopsBuilder(services, configuration: null);
    }

    /// <summary>
    /// Starts registering Mlops packages whose options are bound from <paramref name="configuration"/>'s
    /// <c>Mlops</c> section (<c>Mlops:Storage</c>, <c>Mlops:Tracking</c>, ...), before any code overrides.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The host's configuration root (its <c>Mlops</c> section is used).</param>
    /// <returns>The builder each package adds itself to.</returns>
    public static MlopsBuilder AddMlops(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return new MlopsBuilder(services, configuration.GetSection(MlopsOptions.SectionName));
    }

    /// <summary>Starts registering Mlops packages and lets <paramref name="configure"/> add them.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The host's configuration root (its <c>Mlops</c> section is used).</param>
    /// <param name="configure">Adds the packages, for example <c>m => m.AddStorage().AddTracking()</c>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMlops(this IServiceCollection services, IConfiguration configuration, Action<MlopsBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(services.AddMlops(configuration));
        return services;
    }
}
