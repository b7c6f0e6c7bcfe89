"""BBEH data: task discovery, loading, the 15/10/rest split, and clear errors at the edge."""

from __future__ import annotations

import json

import pytest

from autoloop.cli import main
from autoloop.errors import ConfigError, DataError
from autoloop.tasks import get_task, task_families, task_options
from autoloop.tasks.bbeh import PAPER_TASKS, load_examples, split_examples, task_dir

ENDPOINT_VARS = (
    "AUTOLOOP_EXECUTOR_MODEL",
    "AUTOLOOP_EXECUTOR_BASE_URL",
    "AUTOLOOP_EXECUTOR_API_KEY",
    "AUTOLOOP_LLM_BASE_URL",
    "AUTOLOOP_LLM_API_KEY",
    "AUTOLOOP_LLM_MODEL",
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
)


@pytest.fixture
def no_endpoint(monkeypatch):
    for name in ENDPOINT_VARS:
        monkeypatch.delenv(name, raising=False)


def test_the_paper_tasks_are_declared_and_every_one_has_data(shared_data):
    family = task_families()["bbeh"]
    assert family.variants == PAPER_TASKS and len(PAPER_TASKS) == 8
    assert family.open_variants
    for variant in PAPER_TASKS:
        assert len(load_examples(task_dir(variant, shared_data / "bbeh"))) >= 120


@pytest.mark.parametrize("variant", ["dyck_languages", "disambiguation_qa", "word_sorting"])
def test_split_is_15_train_10_val_40_revalidation_rest_test_in_dataset_order(shared_data, variant):
    examples = load_examples(task_dir(variant, shared_data))  # a folder containing bbeh/ works too
    splits = split_examples(examples)
    assert [len(splits[s]) for s in ("train", "val", "revalidation", "test")] == [15, 10, 40, len(examples) - 65]
    assert splits["train"][0] == examples[0] and splits["val"][0] == examples[15]
    assert splits["revalidation"][0] == examples[25] and splits["test"][0] == examples[65]


def test_split_sizes_are_configurable_and_checked(shared_data):
    examples = load_examples(task_dir("linguini", shared_data / "bbeh"))
    splits = split_examples(examples, n_train=30, n_val=20)
    pool = len(examples) - 50  # 4 x val would be 80: half the pool is the cap
    assert [len(splits[s]) for s in ("train", "val", "revalidation", "test")] == [30, 20, pool // 2, pool - pool // 2]
    with pytest.raises(DataError, match="too few"):
        split_examples(examples[:25])
    with pytest.raises(ConfigError, match="n_train=0"):
        split_examples(examples, n_train=0)


def test_plain_task_folder_names_load_too(tmp_path):
    folder = tmp_path / "my_task"
    folder.mkdir()
    (folder / "task.json").write_text(json.dumps({"examples": [{"input": f"q{i}", "target": str(i)} for i in range(30)]}))
    assert task_dir("my_task", tmp_path) == folder
    assert split_examples(load_examples(folder))["test"][0].target == "27"  # 25, 26 held back for revalidation


def test_missing_or_malformed_data_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTOLOOP_DATA", raising=False)
    with pytest.raises(DataError, match=r"--data DIR or set AUTOLOOP_DATA"):
        task_dir("linguini", None)
    with pytest.raises(DataError, match=r"bbeh_linguini/task\.json"):
        task_dir("linguini", tmp_path)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "task.json").write_text('{"examples": [{"input": 1}]}')
    with pytest.raises(DataError, match="example 0 needs string 'input' and 'target'"):
        load_examples(tmp_path / "bad")
    with pytest.raises(ConfigError, match="snake_case"):
        task_dir("../etc", tmp_path)


def test_a_workers_data_variable_never_chooses_the_data(shared_data, monkeypatch):
    monkeypatch.setenv("AUTOLOOP_DATA", str(shared_data))  # read where runs are created (resolve_template), not here
    assert task_dir("boardgame_qa", shared_data).name == "bbeh_boardgame_qa"
    with pytest.raises(DataError, match="--data DIR"):
        task_dir("boardgame_qa", None)


def test_without_an_endpoint_get_task_fails_at_once_naming_the_settings(no_endpoint, shared_data):
    with pytest.raises(ConfigError, match=r"AUTOLOOP_EXECUTOR_BASE_URL.*AUTOLOOP_EXECUTOR_MODEL.*OPENAI_BASE_URL"):
        task_options("bbeh:boolean_expressions")


def test_cli_run_without_an_endpoint_exits_2_with_the_settings_to_provide(no_endpoint, shared_data, capsys):
    code = main(["run", "bbeh:boolean_expressions", "--data", str(shared_data), "--iterations", "15"])
    err = capsys.readouterr().err
    assert code == 2
    assert "AUTOLOOP_EXECUTOR_MODEL" in err and "OPENAI_BASE_URL" in err


def test_cli_lists_bbeh_tasks_with_batch_sizes_1_3_5(capsys):
    assert main(["tasks", "--json"]) == 0
    rows = {r["task"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["bbeh:linguini"]["batch_sizes"] == [1, 3, 5]
    assert rows["bbeh:linguini"]["artifacts"] == ["default", "final_answer"]


def test_options_carry_the_executor_endpoint_with_a_key_reference_never_the_key(no_endpoint, shared_data, monkeypatch):
    monkeypatch.setenv("AUTOLOOP_EXECUTOR_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("AUTOLOOP_EXECUTOR_API_KEY", "sk-executor-key")
    monkeypatch.setenv("AUTOLOOP_EXECUTOR_CONCURRENCY", "3")
    options = task_options("bbeh:boolean_expressions")
    assert options["concurrency"] == 3 and options["executor"]["api_key_ref"] == "env:AUTOLOOP_EXECUTOR_API_KEY"
    assert "sk-executor-key" not in json.dumps(options)
    task = get_task("bbeh:boolean_expressions", data_dir=shared_data, options=options)
    assert task.executor.config.api_key == "sk-executor-key" and task.executor.concurrency == 3
    assert task.executor.config.base_url == "http://127.0.0.1:9/v1" and task.executor.config.temperature == 0.0
    task.close()
    with pytest.raises(ConfigError, match=r"missing \['concurrency', 'executor'\]"):
        get_task("bbeh:boolean_expressions", data_dir=shared_data)
