"""Rows 7-10 of issue 24 at submission: every tenant resource is bounded by an operator setting, and
going over it is a clear 422 or 429 that costs the service next to nothing. Small configured limits
stand in for the observed attacks (10^6 settings, 410 studies, a 116 MiB CSV, a 3600 s timeout)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from autoloop.service import OperatorSettings
from tests.security.tenants import LLM_VARIABLES, tenant_service, write_csv

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _no_service_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LLM_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_row7_a_huge_space_is_refused_before_any_setting_is_built() -> None:
    million = "batch_size=" + ",".join(map(str, range(1, 101))) + ";memory=" + ",".join(map(str, range(100))) + ";patience=" + ",".join(
        map(str, range(100))
    )
    with tenant_service(max_settings=8) as t:
        started = time.perf_counter()
        reply = t.submit(t.a, task="toy:linear", space=million, optimizer="local")
        assert time.perf_counter() - started < 5  # the attack took 26 s per POST
        assert reply.status_code == 422
        assert reply.json()["detail"].startswith("space: 1000000 settings, more than the 8 one study may search on this service")
        nine = t.submit(t.a, task="toy:linear", space="batch_size=1,2,3;memory=0,1,2", optimizer="local")
        assert nine.status_code == 422 and "AUTOLOOP_MAX_SETTINGS" in nine.json()["detail"]
        assert t.submit(t.a, task="toy:linear", space="batch_size=1,2;memory=0,1", optimizer="local").status_code == 201


def test_row8_a_tenant_has_at_most_max_studies_queued_or_running() -> None:
    with tenant_service(max_studies=2) as t:
        ids = [t.submit(t.a, task="toy:linear", optimizer="local").json()["id"] for _ in range(2)]
        over = t.submit(t.a, task="toy:linear", optimizer="local")
        assert over.status_code == 429 and over.json()["detail"].startswith("you have 2 studies queued or running")
        assert t.submit(t.b, task="toy:linear", optimizer="local").status_code == 201  # another tenant is not affected
        assert t.http.delete(f"/v1/studies/{ids[0]}", headers=t.a).json()["state"] == "cancelled"
        assert t.submit(t.a, task="toy:linear", optimizer="local").status_code == 201


def test_row9_data_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = write_csv(tmp_path / "big.csv", rows=20_000)  # about 100 KiB
    with tenant_service(data_roots=(tmp_path.resolve(),), max_data_mb=0.05) as t:
        for data_dir in (big, tmp_path):
            reply = t.submit(t.a, task="csv:big", data_dir=str(data_dir), task_options={"target": "kind"}, optimizer="local")
            assert reply.status_code == 422 and "MiB one study may read on this service (AUTOLOOP_MAX_DATA_MB)" in reply.json()["detail"]
        upload = t.http.put("/v1/datasets/big.csv", content=big.read_bytes(), headers=t.a)
        assert upload.status_code == 413
        assert t.http.get("/v1/datasets", headers=t.a).json() == []
        small = t.http.put("/v1/datasets/small.csv", content=write_csv(tmp_path / "s" / "small.csv").read_bytes(), headers=t.a)
        assert small.status_code == 201


def test_row10_a_study_cannot_set_an_llm_timeout_over_the_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLOOP_LLM_TIMEOUT_S", "600")  # the operator's own endpoint default is clamped too
    monkeypatch.setenv("AUTOLOOP_LLM_BASE_URL", "https://api.openai.com/v1")
    with tenant_service(max_llm_timeout_s=5) as t:
        reply = t.submit(t.a, task="toy:linear", optimizer="llm", llm={"timeout_s": 3600})
        assert reply.status_code == 422
        assert reply.json()["detail"] == "llm.timeout_s: at most 5 s on this service (AUTOLOOP_MAX_LLM_TIMEOUT_S); ask for less"
        study = t.submit(t.a, task="toy:linear", optimizer="llm").json()["id"]
        runner_records = t.http.app.state.records  # type: ignore[attr-defined]
        assert runner_records.template(study).endpoint.timeout_s == 5


def test_operator_settings_parse_their_variables_and_name_a_bad_one() -> None:
    settings = OperatorSettings.from_env({"AUTOLOOP_MAX_STUDIES": "3", "AUTOLOOP_LLM_ALLOW": "llm.lan, 10.0.0.0/8"}, home=Path("/x"))
    assert (settings.max_studies, settings.llm_allow, settings.tenants_folder) == (3, ("llm.lan", "10.0.0.0/8"), Path("/x/datasets"))
    with pytest.raises(Exception, match=r"AUTOLOOP_MAX_RUNS='-1' is not valid; it takes an integer >= 0"):
        OperatorSettings.from_env({"AUTOLOOP_MAX_RUNS": "-1"}, home=Path("/x"))
