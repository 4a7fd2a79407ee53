namespace Mlops.Pipelines.Tests.Dags;

public class DagBuilderTests
{
    private static IReadOnlyList<string> Up(Dag dag, string id) => dag.GetTask(id).UpstreamTaskIds.Order().ToArray();

    [Fact]
    public void Shift_operators_chain_fan_out_and_fan_in_like_airflow()
    {
        var dag = Dag.Create("ops");
        var t1 = dag.Task("t1", _ => { });
        var t2 = dag.Task("t2", _ => { });
        var t3 = dag.Task("t3", _ => { });
        var t4 = dag.Task("t4", _ => { });
        var t5 = dag.Task("t5", _ => { });
        _ = t1 >> new[] { t2, t3 } >> t4;
        _ = t5 << t4;
        var built = dag.Build();

        Assert.Equal(["t1"], Up(built, "t2"));
        Assert.Equal(["t1"], Up(built, "t3"));
        Assert.Equal(["t2", "t3"], Up(built, "t4"));
        Assert.Equal(["t4"], Up(built, "t5"));
        Assert.Equal(["t1", "t2", "t3", "t4", "t5"], built.Tasks.Select(t => t.TaskId));
        Assert.Equal(["t1"], built.Roots.Select(t => t.TaskId));
        Assert.Equal(["t5"], built.Leaves.Select(t => t.TaskId));
    }

    [Fact]
    public void Method_forms_chain_and_cross_downstream_and_ids()
    {
        var dag = Dag.Create("methods");
        var a = dag.Task("a", _ => { });
        var b = dag.Task("b", _ => { });
        var c = dag.Task("c", _ => { });
        var d = dag.Task("d", _ => { });
        var e = dag.Task("e", _ => { });
        a.SetDownstream(b);
        c.SetUpstream(b);
        dag.CrossDownstream([a, b], [d, e]);
        dag.Dependency("c", "e");
        var built = dag.Build();
        Assert.Equal(["b"], Up(built, "c"));
        Assert.Equal(["a", "b"], Up(built, "d"));
        Assert.Equal(["a", "b", "c"], Up(built, "e"));

        var chained = Dag.Create("chained");
        var x = chained.Task("x", _ => { });
        var y = chained.Task("y", _ => { });
        var z = chained.Task("z", _ => { });
        chained.Chain(x, y, z);
        Assert.Equal(["y"], Up(chained.Build(), "z"));
    }

    [Fact]
    public void Topological_order_puts_every_task_after_its_upstream_even_when_added_backwards()
    {
        var dag = Dag.Create("backwards");
        var tasks = Enumerable.Range(0, 50).Select(i => dag.Task($"t{i}", _ => { })).ToArray();
        var random = new Random(7);
        for (var i = 1; i < tasks.Length; i++)
        {
            // Edges only from higher to lower index: the reverse of the order tasks were added.
            _ = tasks[i] >> tasks[random.Next(i)];
        }

        var built = dag.Build();
        var position = built.Tasks.Select((t, i) => (t.TaskId, i)).ToDictionary(p => p.TaskId, p => p.i);
        foreach (var task in built.Tasks)
        {
            Assert.All(task.UpstreamTaskIds, u => Assert.True(position[u] < position[task.TaskId]));
        }
    }

    [Fact]
    public void Task_groups_prefix_ids_take_group_defaults_and_connect_through_roots_and_leaves()
    {
        var dag = Dag.Create("groups", defaults: new TaskArguments { Retries = 1 });
        var start = dag.Task("start", _ => { });
        var training = dag.Group("training", g =>
        {
            var prepare = g.Task("prepare", _ => { });
            var fitA = g.Task("fit_a", _ => { });
            var fitB = g.Task("fit_b", _ => { }, a => a.Retries = 5);
            _ = prepare >> new[] { fitA, fitB };
            g.Group("eval", inner =>
            {
                var score = inner.Task("score", _ => { });
                _ = new[] { fitA, fitB } >> score;
            });
        }, a => a.Retries = 3);
        var end = dag.Task("end", _ => { });
        _ = start >> training >> end;
        var built = dag.Build();

        Assert.Equal(["start"], Up(built, "training.prepare"));
        Assert.Equal(["training.eval.score"], Up(built, "end"));
        Assert.Equal(["training.fit_a", "training.fit_b"], Up(built, "training.eval.score"));
        Assert.Equal(3, built.GetTask("training.prepare").Retries);
        Assert.Equal(5, built.GetTask("training.fit_b").Retries);
        Assert.Equal(1, built.GetTask("start").Retries);
        Assert.Equal("training.eval", built.GetTask("training.eval.score").GroupId);
    }

    [Fact]
    public void Defaults_are_copied_so_later_changes_do_not_leak()
    {
        var defaults = new TaskArguments { Owner = "ml-team", Retries = 1, RetryDelay = TimeSpan.FromMinutes(5) };
        var dag = Dag.Create("defaults", defaults: defaults);
        defaults.Retries = 9;
        var t = dag.Task("t", _ => { }, a => a.ExecutionTimeout = TimeSpan.FromMinutes(1));
        var built = dag.Build();
        var task = built.GetTask("t");
        Assert.Equal(("ml-team", 1, 2, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1)), (task.Owner, task.Retries, task.MaxTries, task.RetryDelay, task.ExecutionTimeout));
        Assert.Throws<InvalidOperationException>(() => dag.Task("late", _ => { }));
        Assert.Throws<InvalidOperationException>(() => dag.Build());
        Assert.Same(t.Dag, dag);
    }

    [Fact]
    public void Duplicate_ids_are_rejected_when_added()
    {
        var dag = Dag.Create("dups");
        dag.Task("a", _ => { });
        var e = Assert.Throws<DagValidationException>(() => dag.Task("a", _ => { }));
        Assert.Equal(("dups", "a"), (e.DagId, e.TaskId));
        Assert.Contains("'a'", e.Message);
        dag.Group("g", g => g.Task("x", _ => { }));
        Assert.Throws<DagValidationException>(() => dag.Task("g", _ => { }));
        Assert.Throws<DagValidationException>(() => dag.Group("g", _ => { }));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/no")]
    public void Invalid_ids_are_rejected(string id)
    {
        Assert.Throws<DagValidationException>(() => Dag.Create(id));
        Assert.Throws<DagValidationException>(() => Dag.Create("ok").Task(id, _ => { }));
    }

    [Fact]
    public void Unknown_ids_in_dependencies_and_cross_dag_edges_are_rejected()
    {
        var dag = Dag.Create("unknown");
        dag.Task("a", _ => { });
        dag.Dependency("a", "missing");
        var e = Assert.Throws<DagValidationException>(() => dag.Build());
        Assert.Equal("missing", e.TaskId);
        Assert.Contains("unknown task 'missing'", e.Message);

        var one = Dag.Create("one");
        var other = Dag.Create("other");
        var x = one.Task("x", _ => { });
        var y = other.Task("y", _ => { });
        Assert.Throws<DagValidationException>(() => x >> y);
        Assert.Throws<DagValidationException>(() => one["nope"]);
    }

    [Fact]
    public void Invalid_arguments_and_settings_name_the_dag_and_task()
    {
        var dag = Dag.Create("args");
        dag.Task("t", _ => { }, a => a.Retries = -1);
        var e = Assert.Throws<DagValidationException>(() => dag.Build());
        Assert.Equal(("args", "t"), (e.DagId, e.TaskId));
        Assert.Contains("Retries", e.Message);

        var scheduled = Dag.Create("scheduled", schedule: TimeSpan.FromDays(1));
        scheduled.Task("t", _ => { });
        Assert.Contains("StartDate", Assert.Throws<DagValidationException>(() => scheduled.Build()).Message);

        Assert.Throws<DagValidationException>(() => Dag.Create("empty").Build());
        var pool = Dag.Create("pool");
        pool.Task("t", _ => { }, a => a.PoolSlots = 0);
        Assert.Throws<DagValidationException>(() => pool.Build());
    }

    [Fact]
    public void A_small_cycle_is_reported_with_its_tasks()
    {
        var dag = Dag.Create("cyclic");
        var a = dag.Task("a", _ => { });
        var b = dag.Task("b", _ => { });
        var c = dag.Task("c", _ => { });
        var d = dag.Task("d", _ => { });
        _ = d >> a >> b >> c >> a;
        var e = Assert.Throws<DagCycleException>(() => dag.Build());
        Assert.Equal(["a", "b", "c"], e.Cycle.Order());
        Assert.Contains("cycle", e.Message);
        for (var i = 0; i < e.Cycle.Count; i++)
        {
            // Each is upstream of the next on the reported cycle.
            var next = e.Cycle[(i + 1) % e.Cycle.Count];
            Assert.Contains((e.Cycle[i], next), new[] { ("a", "b"), ("b", "c"), ("c", "a") });
        }
    }

    [Fact]
    public void A_task_depending_on_itself_is_a_cycle()
    {
        var dag = Dag.Create("self");
        var a = dag.Task("a", _ => { });
        _ = a >> a;
        Assert.Equal(["a"], Assert.Throws<DagCycleException>(() => dag.Build()).Cycle);
    }

    [Fact]
    public void A_ten_thousand_task_chain_builds_and_looped_back_is_a_cycle_without_overflowing_the_stack()
    {
        const int n = 10_000;
        var dag = Dag.Create("long_chain");
        var tasks = Enumerable.Range(0, n).Select(i => dag.Task($"t{i}", _ => { })).ToArray();
        for (var i = 1; i < n; i++)
        {
            _ = tasks[i - 1] >> tasks[i];
        }

        var looped = Dag.Create("long_loop");
        var loopTasks = Enumerable.Range(0, n).Select(i => looped.Task($"t{i}", _ => { })).ToArray();
        for (var i = 1; i < n; i++)
        {
            _ = loopTasks[i - 1] >> loopTasks[i];
        }

        _ = loopTasks[^1] >> loopTasks[0];

        Assert.Equal(n, dag.Build().Tasks.Count);
        var e = Assert.Throws<DagCycleException>(() => looped.Build());
        Assert.Equal(n, e.Cycle.Count);
        Assert.Contains("10000 tasks", e.Message);
        Assert.True(e.Message.Length < 400, "the message stays readable");
    }

    [Fact]
    public void Params_are_kept_as_json()
    {
        var dag = Dag.Create("params");
        dag.Params["threshold"] = 0.8;
        dag.Params["name"] = "recsys";
        dag.Task("t", _ => { });
        var built = dag.Build();
        Assert.Equal(0.8, built.Params["threshold"].GetDouble());
        Assert.Equal("recsys", built.Params["name"].GetString());
    }
}
