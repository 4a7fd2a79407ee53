using System.Net;
using Microsoft.Extensions.Options;

namespace Mlops.Distributed.Collectives;

/// <summary>
/// Checks the rules of <see cref="CollectiveOptions"/> that its attributes cannot express (multiples of 8, sizes that
/// depend on each other, the listen address, the backend). Runs when the host starts, and in the factories through
/// <c>MlopsOptions.Validate</c> for options built in code. Failures name the property at fault.
/// </summary>
public sealed class CollectiveOptionsValidator : IValidateOptions<CollectiveOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, CollectiveOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.PieceBytes % 8 != 0)
        {
            errors.Add($"{nameof(CollectiveOptions.PieceBytes)} must be a multiple of 8, not {options.PieceBytes}.");
        }

        if (options.SegmentBytes % 8 != 0)
        {
            errors.Add($"{nameof(CollectiveOptions.SegmentBytes)} must be a multiple of 8, not {options.SegmentBytes}.");
        }

        if (options.InlineBytes > options.PieceBytes * 8L)
        {
            errors.Add($"{nameof(CollectiveOptions.InlineBytes)} ({options.InlineBytes}) must not exceed 8 × {nameof(CollectiveOptions.PieceBytes)}.");
        }

        if (options.ListenAddress is not null && !IPAddress.TryParse(options.ListenAddress, out _))
        {
            errors.Add($"{nameof(CollectiveOptions.ListenAddress)} '{options.ListenAddress}' is not an IP address.");
        }

        if (!Enum.IsDefined(options.Backend))
        {
            errors.Add($"{nameof(CollectiveOptions.Backend)} '{options.Backend}' is not a backend (Auto, Ring or Nccl).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
