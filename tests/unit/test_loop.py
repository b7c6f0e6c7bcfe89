"""The inner loop: batching, validation, best tracking, early stop, checkpoints, sealed re-validation, test lock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from autoloop.artifact import Artifact
from autoloop.checkpoints import FileCheckpointStore
from autoloop.context import build_context
from autoloop.errors import ConfigError, SplitLeakError
from autoloop.loop import LoopRun, batch_for
from autoloop.optimizers import LocalOptimizer, create_optimizer
from autoloop.settings import LoopSettings
from autoloop.tasks import get_task
from autoloop.trace import TASK_TOKENS, Instance, Step, Trace
from tests.toy_task import ToyTask


def _trace(split: str, n_steps: int = 5) -> Trace:
    steps = tuple(Step(str(i), str(i), reward=1.0) for i in range(n_steps))
    return Trace(f"{split}-0", split, steps, 1.0)  # type: ignore[arg-type]


def test_build_context_cuts_each_trace_to_the_horizon_and_keeps_the_batch():
    task = get_task("toy:linear")
    art = task.starting_artifact("start")
    ctx = build_context(art, [_trace("train"), _trace("train", 2), _trace("val")], horizon=3, background="bg")
    assert [len(t.steps) for t in ctx.traces] == [3, 2, 3]
    assert ctx.background == "bg"


@pytest.mark.parametrize("sealed", ["test", "revalidation"])
def test_build_context_refuses_sealed_traces(sealed):
    art = get_task("toy:linear").starting_artifact("start")
    with pytest.raises(SplitLeakError, match=sealed):
        build_context(art, [_trace("train"), _trace(sealed)], horizon=1, background="")


def test_batches_cover_every_instance_once_per_epoch_and_are_reproducible():
    instances = [Instance(str(i), "train", i) for i in range(6)]
    first_epoch = [i.id for it in (1, 2, 3) for i in batch_for(instances, 2, it, seed=5)]
    assert sorted(first_epoch) == [str(i) for i in range(6)]
    assert batch_for(instances, 4, 7, seed=5) == batch_for(instances, 4, 7, seed=5)


def test_loop_improves_validation_and_never_shows_test_to_the_optimizer():
    task = get_task("toy:linear")
    seen = []

    class Spy(LocalOptimizer):
        def propose(self, context):
            seen.extend(t.split for t in context.traces)
            return super().propose(context)

    result = LoopRun(task, LoopSettings("start", batch_size=2, iterations=30), Spy(seed=1)).run()
    assert set(seen) == {"train"}
    assert result.best_val > result.curve[0][1]
    assert result.test is not None
    test_rollouts = [i for i in task.rollout_log if i.split == "test"]
    assert len(test_rollouts) == len(task.instances("test"))  # exactly one final evaluation
    assert task.rollout_log[-len(test_rollouts):] == test_rollouts  # and only at the very end


def test_score_test_false_keeps_the_test_split_locked():
    task = get_task("toy:linear")
    result = LoopRun(task, LoopSettings("start", iterations=3), LocalOptimizer(0), score_test=False).run()
    assert result.test is None and result.test_scores == ()
    assert all(i.split != "test" for i in task.rollout_log)
    assert result.revalidation is not None  # a search run is still ranked by what it returns


class OwnRevalidation(ToyTask):
    """The toy task with a revalidation split of its own, whose x values the test chooses."""

    own_revalidation = True

    def __init__(self, xs: range) -> None:
        super().__init__()
        self.xs = {**self.xs, "revalidation": xs}


def _spied_run(task, settings):
    contexts = []

    class Spy(LocalOptimizer):
        def propose(self, context):
            contexts.append((context.artifact.hash, [(t.instance_id, t.split, t.score, t.feedback) for t in context.traces]))
            return super().propose(context)

    return LoopRun(task, settings, Spy(seed=4)).run(), contexts


def test_revalidation_is_sealed_from_the_optimizer_and_the_checkpoint_choice():
    """Two runs that differ only in their revalidation instances: if the optimizer's context or
    the choice of the returned artifact read that split, the runs would differ before their end."""
    settings = LoopSettings("start", batch_size=2, iterations=12, seed=4)
    near, far = OwnRevalidation(range(100, 104)), OwnRevalidation(range(900, 904))
    (a, contexts_a), (b, contexts_b) = _spied_run(near, settings), _spied_run(far, settings)
    assert contexts_a == contexts_b and all(split == "train" for _, traces in contexts_a for _, split, _, _ in traces)
    assert a.curve == b.curve and a.best_artifact == b.best_artifact and a.best_val == b.best_val
    assert a.revalidation != b.revalidation  # the split is read, and only at the end
    for task in (near, far):
        splits = [i.split for i in task.rollout_log]
        n = len(task.split("revalidation"))
        assert splits.count("revalidation") == n  # scored once
        first = splits.index("revalidation")
        assert splits[first : first + n] == ["revalidation"] * n and "val" not in splits[first:]


def test_revalidation_scores_the_returned_artifact_once_with_its_cost():
    task = OwnRevalidation(range(100, 103))
    result = LoopRun(task, LoopSettings("start", batch_size=2, iterations=6, seed=1), LocalOptimizer(1)).run()
    best = Artifact.from_dict(result.best_artifact)
    expected = [task.rollout(best, inst, None).score for inst in task.split("revalidation")]
    assert result.revalidation_scores == tuple(expected) and result.revalidation == pytest.approx(sum(expected) / 3)
    assert result.revalidation_evaluations == 3 and result.revalidation_tokens == 0 and result.revalidation_seconds >= 0
    assert len(result.test_scores) == len(task.instances("test")) and result.test == pytest.approx(sum(result.test_scores) / len(result.test_scores))


def test_revalidation_counts_the_tokens_the_task_spends_in_the_runs_tokens():
    class Executing(OwnRevalidation):
        def rollout(self, artifact, instance, horizon):
            trace = super().rollout(artifact, instance, horizon)  # as an executor LLM's tokens per reply
            return replace(trace, metrics={**trace.metrics, TASK_TOKENS: 7.0})

    result = LoopRun(Executing(range(100, 103)), LoopSettings("start", iterations=2), LocalOptimizer(0)).run()
    assert result.revalidation_tokens == 21
    assert result.tokens == 7 * (result.failures.evaluations) > 21  # every evaluation's, re-validation included: charged


def test_a_run_stopped_from_outside_is_not_revalidated():
    task = get_task("toy:linear")
    result = LoopRun(task, LoopSettings("start", iterations=8), LocalOptimizer(0), callback=lambda p: p.iteration == 3).run()
    assert result.stopped == "stopped" and result.revalidation is None and result.revalidation_scores == ()
    assert all(i.split == "train" or i.split == "val" for i in task.rollout_log)


def test_a_plug_in_without_its_own_revalidation_holds_back_every_second_test_instance():
    task = get_task("toy:linear")  # test x = 12..15
    assert [i.data for i in task.instances("test")] == [12, 14]
    assert [(i.id, i.split, i.data) for i in task.instances("revalidation")] == [("test-13", "revalidation", 13), ("test-15", "revalidation", 15)]
    assert [i.data for i in task.instances("train")] == [i.data for i in task.split("train")]


def test_patience_stops_early():
    task = get_task("toy:linear")

    class Stuck(LocalOptimizer):
        def propose(self, context):
            return context.artifact

    result = LoopRun(task, LoopSettings("start", iterations=20, patience=2), Stuck()).run()
    assert result.stopped == "patience"
    assert result.iterations == 2


def test_resume_from_checkpoint_gives_the_same_result(tmp_path):
    settings = LoopSettings("start", batch_size=2, iterations=12, seed=3)
    straight = LoopRun(get_task("toy:linear"), settings, LocalOptimizer(3)).run()
    store = FileCheckpointStore(tmp_path)
    calls = {"n": 0}

    def stop_after_five(progress):
        calls["n"] += 1
        return progress.iteration == 5

    first = LoopRun(get_task("toy:linear"), settings, LocalOptimizer(3), store=store, run_id="r", callback=stop_after_five)
    # The callback stops the first process at iteration 5 (as a kill would); clear the flag to resume.
    partial = first.run()
    assert partial.iterations == 5 and partial.stopped == "stopped"
    saved = store.load("r")
    saved.stopped, saved.test = None, None
    store.save("r", saved)
    resumed = LoopRun(get_task("toy:linear"), settings, LocalOptimizer(3), store=store, run_id="r").run()
    assert resumed.curve == straight.curve
    assert resumed.best_artifact == straight.best_artifact


def test_settings_reject_absurd_values_by_name():
    with pytest.raises(ConfigError, match="batch_size"):
        LoopSettings("start", batch_size=0)
    with pytest.raises(ConfigError, match="iterations"):
        LoopSettings("start", iterations=10**9)
    with pytest.raises(ConfigError, match="unknown loop setting"):
        LoopSettings.from_dict({"starting_artifact": "a", "batchsize": 3})


def test_unknown_optimizer_names_the_choices():
    with pytest.raises(ConfigError, match="local"):
        create_optimizer("gpt")
