"""Prompt datasets: JSONL and CSV files, the seeded split and its sizes, the task options, clear errors."""

from __future__ import annotations

import json

import pytest

from autoloop.cli import main
from autoloop.errors import ConfigError, DataError
from autoloop.executors import LoopJob, resolve_template
from autoloop.tasks import describe_task, get_task, task_options
from autoloop.tasks.prompt import Example, PromptOptions, load_dataset, split_examples
from tests.fake_openai import FakeOpenAI

ROWS = [{"input": f"What is {i} + {i}?", "target": str(2 * i)} for i in range(40)]
EXECUTOR = {"AUTOLOOP_EXECUTOR_BASE_URL": "http://127.0.0.1:9/v1", "AUTOLOOP_EXECUTOR_MODEL": "executor-model"}


@pytest.fixture
def executor_env(monkeypatch, tmp_path):
    for key, value in EXECUTOR.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AUTOLOOP_CACHE_DIR", str(tmp_path / "cache"))


def _jsonl(path, rows=ROWS):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_jsonl_and_csv_files_read_as_the_same_examples(tmp_path):
    jsonl = _jsonl(tmp_path / "qa.jsonl", [{**r, "id": n} for n, r in enumerate(ROWS)])  # other keys are ignored
    csv = tmp_path / "qa.csv"
    csv.write_text("\ufeffid,input,target\n" + "".join(f'{n},"{r["input"]}",{r["target"]}\n' for n, r in enumerate(ROWS)))
    assert load_dataset(jsonl) == load_dataset(csv) == [Example(r["input"], r["target"]) for r in ROWS]


def test_a_quoted_csv_field_may_span_lines(tmp_path):
    path = tmp_path / "qa.csv"
    path.write_text('input,target\n"Premise: it rains.\nQuestion: is the street wet?","yes, it is"\n')
    assert load_dataset(path) == [Example("Premise: it rains.\nQuestion: is the street wet?", "yes, it is")]


def test_number_targets_in_jsonl_are_read_as_text(tmp_path):
    path = _jsonl(tmp_path / "n.jsonl", [{"input": "a", "target": 3}, {"input": "b", "target": 0.5}])
    assert [e.target for e in load_dataset(path)] == ["3", "0.5"]


def test_the_split_is_a_seeded_shuffle_then_15_10_rest():
    examples = [Example(r["input"], r["target"]) for r in ROWS]
    splits = split_examples(examples)
    # Revalidation is held back from the 15 left: 4 x val, at most half of them.
    assert [len(splits[s]) for s in ("train", "val", "revalidation", "test")] == [15, 10, 7, 8]
    assert sorted(e.target for s in splits.values() for e in s) == sorted(r["target"] for r in ROWS)  # disjoint, complete
    assert splits == split_examples(examples, seed=0)  # deterministic
    assert splits["train"] != examples[:15]  # shuffled
    other = split_examples(examples, seed=1)
    assert other["train"] != splits["train"]
    in_order = split_examples(examples, n_train=5, n_val=5, n_test=10, seed=None)
    assert in_order["train"] == examples[:5] and in_order["revalidation"] == examples[10:30] and in_order["test"] == examples[30:40]
    assert len(split_examples(examples * 4)["revalidation"]) == 40  # 4 x n_val once the pool is large enough
    assert len(split_examples(examples, n_revalidation=3)["revalidation"]) == 3


def test_split_sizes_are_checked(tmp_path):
    examples = [Example("q", "a")] * 27
    with pytest.raises(DataError, match=r"26 examples are too few for 15 train \+ 10 val \+ 1 revalidation.*n_revalidation / n_test"):
        split_examples(examples[:26])
    assert [len(v) for v in split_examples(examples).values()] == [15, 10, 1, 1]
    with pytest.raises(DataError, match="too few"):
        split_examples(examples, n_test=2)
    with pytest.raises(ConfigError, match="n_revalidation=0"):
        split_examples(examples, n_revalidation=0)
    with pytest.raises(ConfigError, match="n_val=0"):
        split_examples(examples, n_val=0)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("qa.txt", "x", r"must be a \.jsonl or \.csv file"),
        ("qa.jsonl", '{"input": "a", "target": "b"}\nnot json\n', r"line 2 is not JSON"),
        ("qa.jsonl", '{"input": "a", "answer": "b"}\n', r"line 1 needs string 'input' and 'target'"),
        ("qa.jsonl", '{"input": "a", "target": true}\n', r"line 1 needs string 'input' and 'target'"),
        ("qa.jsonl", "\n\n", r"holds no examples"),
        ("qa.csv", "question,answer\nq,a\n", r"lacks columns \['input', 'target'\]; name the columns input and target"),
        ("qa.csv", "input,target\nq\n", r"row 2 needs string 'input' and 'target'"),
    ],
)
def test_malformed_files_name_the_fix(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    with pytest.raises(DataError, match=message):
        load_dataset(tmp_path / name)


def test_a_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match=r"cannot read prompt data .*missing\.jsonl.*pass --data FILE\.jsonl"):
        load_dataset(tmp_path / "missing.jsonl")


def test_options_default_to_exact_matching_and_the_documented_split(executor_env):
    options = task_options("prompt:arith")
    assert {k: v for k, v in options.items() if k != "executor"} == {
        "concurrency": 8, "match": "exact", "split_seed": 0, "n_train": 15, "n_val": 10, "n_test": None, "n_revalidation": None,
    }
    assert options["executor"]["base_url"] == EXECUTOR["AUTOLOOP_EXECUTOR_BASE_URL"]
    assert describe_task("prompt:any-name.v2").metric.name == "accuracy"


def test_options_travel_in_the_job_payload_and_choose_the_scoring(executor_env, tmp_path):
    data = _jsonl(tmp_path / "qa.jsonl")
    template = resolve_template("prompt:arith", data_dir=str(data), optimizer="local")
    custom = template.model_copy(update={"task_options": {**template.task_options, "match": "numeric", "n_test": 5, "split_seed": 7}})
    job = LoopJob.parse(custom.job("r1", {"starting_artifact": "default"}, score_test=True).model_dump_json())
    task = get_task(job.task, data_dir=job.data_dir, options=job.task_options)
    try:
        assert task.match == "numeric" and [len(task.split(s)) for s in ("train", "val", "test")] == [15, 10, 5]
        assert "the same number as the expected answer" in task.background
        assert [i.data for i in task.split("train")] == split_examples(load_dataset(data), seed=7)["train"]
    finally:
        task.close()


def test_a_caller_gives_options_as_text_and_gets_them_checked_and_typed(executor_env, tmp_path):
    options = task_options("prompt:arith", {"match": "numeric", "n_val": "5"}, data=tmp_path / "qa.jsonl")
    assert (options["match"], options["n_val"], options["n_train"]) == ("numeric", 5, 15)
    given = "match, split_seed, n_train, n_val, n_test, n_revalidation"
    with pytest.raises(ConfigError, match=f"prompt:arith takes the task options {given}; drop shots"):
        task_options("prompt:arith", {"shots": "3"})
    with pytest.raises(ConfigError, match="match: Input should be 'exact', 'fuzzy' or 'numeric'"):
        task_options("prompt:arith", {"match": "regex"})


def test_bad_options_are_named(executor_env, tmp_path):
    options = {**task_options("prompt:arith"), "match": "regex", "shots": 3}
    with pytest.raises(ConfigError, match=r"match: Input should be 'exact', 'fuzzy' or 'numeric'.*shots: Extra inputs"):
        get_task("prompt:arith", data_dir=_jsonl(tmp_path / "qa.jsonl"), options=options)
    with pytest.raises(ConfigError, match=r"executor: Field required"):
        get_task("prompt:arith", data_dir=tmp_path / "qa.jsonl", options={"concurrency": 1})
    assert set(PromptOptions.model_fields) == {"executor", "concurrency", "match", "split_seed", "n_train", "n_val", "n_test", "n_revalidation"}


def test_data_is_one_file_given_with_the_run(executor_env, tmp_path):
    options = task_options("prompt:arith")
    with pytest.raises(DataError, match=r"prompt:arith needs its data: pass --data FILE\.jsonl"):
        get_task("prompt:arith", options=options)
    with pytest.raises(DataError, match=r"reads one file, and .* is a folder"):
        get_task("prompt:arith", data_dir=tmp_path, options=options)
    with pytest.raises(ConfigError, match=r"prompt:<name> with letters, digits"):
        describe_task("prompt:a b")


def test_a_numeric_task_rejects_targets_that_are_no_number(executor_env, tmp_path):
    rows = [*ROWS[:30], {"input": "Name the capital of France.", "target": "Paris"}]
    options = {**task_options("prompt:arith"), "match": "numeric", "split_seed": None}
    with pytest.raises(DataError, match=r"target 'Paris' .* is no number; use match=exact or fuzzy"):
        get_task("prompt:arith", data_dir=_jsonl(tmp_path / "qa.jsonl", rows), options=options)


def test_building_a_task_sends_no_request(executor_env, tmp_path):
    with FakeOpenAI(script=[]) as server:  # any request would be an error at close
        options = {**task_options("prompt:arith"), "executor": {**task_options("prompt:arith")["executor"], "base_url": server.base_url}}
        get_task("prompt:arith", data_dir=_jsonl(tmp_path / "qa.jsonl"), options=options).close()


def test_cli_run_without_data_exits_2_saying_to_pass_a_file(executor_env, monkeypatch, capsys):
    monkeypatch.delenv("AUTOLOOP_DATA", raising=False)
    assert main(["run", "prompt:arith", "--optimizer", "local", "--iterations", "1"]) == 2
    assert "prompt:arith needs its data: pass --data FILE.jsonl (or .csv)" in capsys.readouterr().err
