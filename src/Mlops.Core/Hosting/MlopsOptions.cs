using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Mlops.Hosting;

/// <summary>
/// The one options idiom of every Mlops package: DataAnnotations plus one <see cref="IValidateOptions{TOptions}"/>,
/// checked when the host starts, and the same checks for options built in code without a host; every failure is an
/// <see cref="OptionsValidationException"/> listing each rule broken, by property path.
/// </summary>
public static class MlopsOptions
{
    /// <summary>The configuration section every package's options live under (<c>Mlops:&lt;Package&gt;</c>).</summary>
    public const string SectionName = "Mlops";

    /// <summary>Registers <typeparamref name="TOptions"/> bound from <paramref name="section"/>, then <paramref name="configure"/>, validated on start.</summary>
    /// <typeparam name="TOptions">The options.</typeparam>
    /// <typeparam name="TValidator">The validator.</typeparam>
    /// <param name="services">The host's services.</param>
    /// <param name="section">The configuration section, or null.</param>
    /// <param name="configure">Code overrides, or null.</param>
    /// <returns>The options builder, for further configuration.</returns>
    public static OptionsBuilder<TOptions> Register<TOptions, TValidator>(IServiceCollection services, IConfiguration? section, Action<TOptions>? configure)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        var builder = services.AddOptions<TOptions>();
        if (section is not null)
        {
            builder.Bind(section);
        }

        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return builder.ValidateDataAnnotations().ValidateOnStart();
    }

    /// <summary>
    /// Validates options built in code (no host) the way the host would: DataAnnotations on the object graph, then
    /// <paramref name="validator"/>; throws <see cref="OptionsValidationException"/> naming every failure.
    /// </summary>
    /// <typeparam name="TOptions">The options.</typeparam>
    /// <param name="options">The options to check.</param>
    /// <param name="validator">The package's validator, or null for DataAnnotations only.</param>
    /// <returns><paramref name="options"/>, for use in an expression.</returns>
    public static TOptions Validate<TOptions>(TOptions options, IValidateOptions<TOptions>? validator)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(result => $"{string.Join(", ", result.MemberNames)}: {result.ErrorMessage}"));
        }

        var outcome = validator?.Validate(Options.DefaultName, options);
        if (outcome is { Failed: true })
        {
            failures.AddRange(outcome.Failures ?? [outcome.FailureMessage]);
        }

        return failures.Count == 0 ? options : throw new OptionsValidationException(Options.DefaultName, typeof(TOptions), failures);
    }
}
