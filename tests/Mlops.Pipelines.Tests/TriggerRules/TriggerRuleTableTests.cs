using static Mlops.Pipelines.TriggerDecision;
using static Mlops.Pipelines.TriggerRule;

namespace Mlops.Pipelines.Tests.TriggerRules;

/// <summary>Every trigger rule against combinations of upstream states (S success, K skipped, F failed, U upstream_failed, P pending), as Airflow documents them.</summary>
public class TriggerRuleTableTests
{
    public static TheoryData<TriggerRule, string, TriggerDecision> Table => new()
    {
        { AllSuccess, "SS", Run },
        { AllSuccess, "SP", Wait },
        { AllSuccess, "SF", TriggerDecision.UpstreamFailed },
        { AllSuccess, "SU", TriggerDecision.UpstreamFailed },
        { AllSuccess, "FP", TriggerDecision.UpstreamFailed },
        { AllSuccess, "SK", Skip },
        { AllSuccess, "KP", Skip },
        { AllSuccess, "KF", TriggerDecision.UpstreamFailed },

        { AllFailed, "FF", Run },
        { AllFailed, "FU", Run },
        { AllFailed, "FP", Wait },
        { AllFailed, "FS", Skip },
        { AllFailed, "KP", Skip },

        { AllDone, "SF", Run },
        { AllDone, "KK", Run },
        { AllDone, "UU", Run },
        { AllDone, "SP", Wait },
        { AllDone, "FP", Wait },

        { AllDoneMinOneSuccess, "SF", Run },
        { AllDoneMinOneSuccess, "SK", Run },
        { AllDoneMinOneSuccess, "KK", Skip },
        { AllDoneMinOneSuccess, "FF", Skip },
        { AllDoneMinOneSuccess, "SP", Wait },

        { AllSkipped, "KK", Run },
        { AllSkipped, "KP", Wait },
        { AllSkipped, "KS", Skip },
        { AllSkipped, "FP", Skip },
        { AllSkipped, "UK", Skip },

        { OneSuccess, "SP", Run },
        { OneSuccess, "SF", Run },
        { OneSuccess, "FP", Wait },
        { OneSuccess, "KK", Skip },
        { OneSuccess, "FK", TriggerDecision.UpstreamFailed },
        { OneSuccess, "FF", TriggerDecision.UpstreamFailed },
        { OneSuccess, "UU", TriggerDecision.UpstreamFailed },

        { OneFailed, "FP", Run },
        { OneFailed, "UP", Run },
        { OneFailed, "SP", Wait },
        { OneFailed, "SS", Skip },
        { OneFailed, "KS", Skip },

        { OneDone, "SP", Run },
        { OneDone, "FP", Run },
        { OneDone, "KP", Wait },
        { OneDone, "KK", Skip },
        { OneDone, "UK", Skip },

        { NoneFailed, "SK", Run },
        { NoneFailed, "KK", Run },
        { NoneFailed, "SP", Wait },
        { NoneFailed, "FP", TriggerDecision.UpstreamFailed },
        { NoneFailed, "US", TriggerDecision.UpstreamFailed },

        { NoneFailedMinOneSuccess, "SK", Run },
        { NoneFailedMinOneSuccess, "SS", Run },
        { NoneFailedMinOneSuccess, "KK", Skip },
        { NoneFailedMinOneSuccess, "SP", Wait },
        { NoneFailedMinOneSuccess, "KP", Wait },
        { NoneFailedMinOneSuccess, "FS", TriggerDecision.UpstreamFailed },

        { NoneSkipped, "SF", Run },
        { NoneSkipped, "SU", Run },
        { NoneSkipped, "SP", Wait },
        { NoneSkipped, "KP", Skip },
        { NoneSkipped, "SK", Skip },

        { Always, "PP", Run },
        { Always, "FF", Run },
        { Always, "KU", Run },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Decides_like_airflow(TriggerRule rule, string upstream, TriggerDecision expected)
    {
        Assert.Equal(expected, TriggerRuleEvaluator.Evaluate(rule, Parse(upstream)));
    }

    [Fact]
    public void Table_covers_every_rule_and_decision_it_can_make()
    {
        var rules = Table.Select(row => (TriggerRule)row[0]).ToHashSet();
        Assert.Equal(Enum.GetValues<TriggerRule>().ToHashSet(), rules);
    }

    [Theory]
    [InlineData(AllSuccess)]
    [InlineData(AllFailed)]
    [InlineData(AllSkipped)]
    [InlineData(OneSuccess)]
    [InlineData(OneFailed)]
    [InlineData(NoneSkipped)]
    public void A_task_without_upstream_always_runs(TriggerRule rule)
    {
        Assert.Equal(Run, TriggerRuleEvaluator.Evaluate(rule, new UpstreamStates(0, 0, 0, 0, 0)));
    }

    [Fact]
    public void Every_rule_decides_once_all_upstream_are_done()
    {
        // Exhaustive over three upstream tasks: with nothing pending, no rule may wait (a run would hang).
        var states = "SKFU";
        foreach (var rule in Enum.GetValues<TriggerRule>())
        {
            foreach (var a in states)
            {
                foreach (var b in states)
                {
                    foreach (var c in states)
                    {
                        var decision = TriggerRuleEvaluator.Evaluate(rule, Parse($"{a}{b}{c}"));
                        Assert.True(decision != Wait, $"{rule} waits on {a}{b}{c}");
                    }
                }
            }
        }
    }

    private static UpstreamStates Parse(string s) => new(
        s.Length, s.Count(c => c == 'S'), s.Count(c => c == 'K'), s.Count(c => c == 'F'), s.Count(c => c == 'U'));
}
