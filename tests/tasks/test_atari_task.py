"""The atari task family: registration, splits, sandboxed rollouts, credit-horizon segments, CLI."""

from __future__ import annotations

import json

import pytest

from autoloop.cli import main
from autoloop.errors import ConfigError, UnknownNameError
from autoloop.tasks import Metric, TaskInfo, describe_task, get_task, task_families, task_options
from autoloop.tasks.atari import GAMES, LOOP_PROTOCOL, AtariTask, Protocol

PAPER = {
    "Pong": (400, "10x4000"),
    "Breakout": (300, "1x4000"),
    "SpaceInvaders": (25, "1x4000"),
    "Freeway": (100, "3x2500"),
    "Asterix": (100, "3x20000"),
    "Enduro": (100, "1x5000"),
    "Qbert": (100, "1x4000"),
    "Seaquest": (100, "1x4000"),
}


@pytest.fixture
def pong():
    task = AtariTask("Pong", protocol="1x200")
    yield task
    task.close()


def test_games_declare_the_paper_horizons_and_protocols():
    assert set(GAMES) == set(PAPER)
    for name, (multi_step, protocol) in PAPER.items():
        assert GAMES[name].horizons == (1, multi_step)
        assert str(GAMES[name].protocol) == protocol
        assert AtariTask(name, protocol="paper").protocol == Protocol.parse(protocol)


def test_protocol_is_resolved_from_the_environment_once_and_the_task_reads_only_its_options(monkeypatch):
    monkeypatch.setenv("AUTOLOOP_ATARI_PROTOCOL", "2x50")
    assert task_options("atari:Freeway") == {"protocol": "2x50"}
    assert AtariTask("Freeway").protocol == LOOP_PROTOCOL  # the class default ignores the environment
    assert get_task("atari:Freeway", options={"protocol": "1x20"}).protocol == Protocol(1, 20)
    with pytest.raises(ConfigError, match=r"missing \['protocol'\]"):
        get_task("atari:Freeway")
    monkeypatch.setenv("AUTOLOOP_ATARI_PROTOCOL", "paper")
    assert task_options("atari:Freeway") == {"protocol": "3x2500"}
    assert AtariTask("Freeway", protocol="paper").protocol == Protocol(3, 2500)
    with pytest.raises(ConfigError, match="EPISODESxSTEPS"):
        AtariTask("Freeway", protocol="lots")


def test_feedback_stages_follow_the_paper_thresholds():
    pong, breakout, invaders = GAMES["Pong"], GAMES["Breakout"], GAMES["SpaceInvaders"]
    assert len({pong.stage(0), pong.stage(5), pong.stage(19)}) == 3
    assert pong.stage(0) == pong.stage(-21) and pong.stage(18.9) == pong.stage(1)
    assert breakout.stage(299) != breakout.stage(300) and breakout.stage(0) != breakout.stage(1)
    assert invaders.stage(99) != invaders.stage(100) != invaders.stage(300)
    for game in GAMES.values():
        assert len(game.stages) == 3 and game.stages[-1].upper == float("inf")


def test_splits_are_disjoint_seeds():
    task = AtariTask("Qbert")
    names = ("train", "val", "test", "revalidation")
    seeds = {name: {i.data for i in task.split(name)} for name in names}
    assert all(seeds[a].isdisjoint(seeds[b]) for i, a in enumerate(names) for b in names[i + 1 :])
    assert all(len(s) >= 3 for s in seeds.values())
    assert len(seeds["revalidation"]) == 2 * len(seeds["val"])  # a fresh range, twice val


def test_every_game_lists_both_artifacts_with_its_horizons(capsys):
    assert main(["tasks", "--json"]) == 0
    rows = {r["task"]: r for r in json.loads(capsys.readouterr().out)}
    for name, (multi_step, _) in PAPER.items():
        row = rows[f"atari:{name}"]
        assert row["artifacts"] == ["modular", "monolithic"]
        assert row["horizons"] == [1, multi_step]
    assert task_families()["atari"].variants == tuple(GAMES)


def test_describe_gives_each_games_horizons_and_metric_without_building(monkeypatch):
    def no_build(*args, **kwargs):
        raise AssertionError("describe_task built a task")

    monkeypatch.setattr(AtariTask, "__init__", no_build)
    for name, (multi_step, _) in PAPER.items():
        assert describe_task(f"atari:{name}") == TaskInfo(
            ("modular", "monolithic"), (1, multi_step), (1, 2, 4), Metric("reward"), reads_data=False
        )
    monkeypatch.undo()
    assert describe_task("atari:Pong") == TaskInfo.of(AtariTask("Pong"))  # the same as read off a built task


def test_starting_artifacts_share_their_docstring_and_modular_has_several_functions():
    for name in GAMES:
        task = AtariTask(name)
        modular, monolithic = task.starting_artifact("modular"), task.starting_artifact("monolithic")
        assert modular.context == monolithic.context and "act(objects)" in modular.context
        assert set(monolithic.editable) == {"act"}
        assert len(modular.editable) >= 3


@pytest.mark.integration
def test_every_starting_artifact_plays_without_failing():
    for name in GAMES:
        task = AtariTask(name, protocol="1x60", split_sizes={"val": 1})
        try:
            for artifact in task.artifacts:
                trace = task.rollout(task.starting_artifact(artifact), task.split("val")[0], None)
                assert trace.error is None, f"{name}/{artifact}: {trace.error}"
                assert trace.metrics["steps"] == 60
        finally:
            task.close()


@pytest.mark.integration
def test_training_segments_continue_the_episode_and_fit_the_budget(pong):
    artifact = pong.starting_artifact("modular")
    seed = pong.split("train")[0]
    first = pong.rollout(artifact, seed, 120)
    assert first.error is None and first.metrics["steps"] == 120
    assert pong.segments[seed.id]["t"] == 120 and pong.segments[seed.id]["state"]
    second = pong.rollout(artifact, seed, 120)
    assert second.steps[0].input.startswith("[ep 0 t=120")
    assert pong.segments[seed.id] == {"episode": 1, "t": 0, "state": None}  # 200-step episodes: over
    one = pong.rollout(artifact, seed, 1)
    assert len(one.steps) == 1 and one.steps[0].input.startswith("[ep 1 t=0") and one.steps[0].output
    small = AtariTask("Pong", protocol="1x400", budget_chars=1500)
    try:
        long = small.rollout(artifact, seed, 400)
    finally:
        small.close()
    assert sum(len(s.input) + len(s.output) + len(s.feedback) for s in long.steps) <= 1500
    assert "400-step segment" in long.feedback


@pytest.mark.integration
def test_policy_failures_become_failed_traces_with_the_reason(pong):
    artifact = pong.starting_artifact("monolithic")
    instance = pong.split("val")[0]
    bad_action = pong.rollout(artifact.with_updates({"act": "def act(objects):\n    return 'JUMP'\n"}), instance, None)
    assert bad_action.failed and "'JUMP'" in bad_action.error and bad_action.score == pong.failure_score
    crash = pong.rollout(artifact.with_updates({"act": "def act(objects):\n    return objects['nothing']\n"}), instance, None)
    assert crash.failed and "KeyError" in crash.error and "line" in crash.error
    good = pong.rollout(artifact.with_updates({"act": "def act(objects):\n    return 2\n"}), instance, None)
    assert not good.failed and good.metrics["steps"] == 200


@pytest.mark.integration
def test_cli_runs_a_pong_loop_with_a_multi_step_horizon(capsys, monkeypatch):
    monkeypatch.setenv("AUTOLOOP_ATARI_PROTOCOL", "1x150")
    code = main(["run", "atari:Pong", "--artifact", "modular", "--optimizer", "local", "--credit-horizon", "400",
                 "--iterations", "2", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert [point[0] for point in result["curve"]] == [0, 1, 2]
    assert result["settings"]["credit_horizon"] == 400 and result["test"] is not None
    assert result["task_options"] == {"protocol": "1x150"} and result["optimizer"] == "local"


def test_unknown_game_is_rejected_with_the_list():
    with pytest.raises(UnknownNameError, match="atari:Pong"):
        get_task("atari:Tetris")
    with pytest.raises(UnknownNameError, match="atari:Pong"):
        describe_task("atari:Tetris")
    with pytest.raises(UnknownNameError, match="SpaceInvaders"):
        AtariTask("Tetris")


def test_an_empty_split_is_a_config_error_naming_split_sizes():
    with pytest.raises(ConfigError, match="split_sizes"):
        AtariTask("Pong", split_sizes={"val": 0})


def test_reset_forgets_segment_positions_so_a_reused_task_starts_fresh_episodes():
    task = AtariTask("Pong")
    task.segments["seed-1000"] = {"episode": 0, "t": 120, "state": b"saved"}
    task.reset()
    assert task.segments == {}
