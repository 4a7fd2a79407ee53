using Mlops.Training.Callbacks;
using Mlops.Training.Data;

namespace Mlops.Training;

/// <summary>The arguments of one <c>Fit</c> call.</summary>
internal sealed record FitArguments(
    Dataset Train,
    int Epochs,
    int? StepsPerEpoch,
    Dataset? Validation,
    int? ValidationSteps,
    IReadOnlyList<Callback> Callbacks,
    int InitialEpoch,
    Verbosity Verbose,
    CancellationToken CancellationToken);
