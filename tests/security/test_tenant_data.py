"""Rows 1-4 of issue 24: a tenant reads only its own data and what the operator shares, every path
resolved (symlinks followed) before it is checked, and no refusal tells it anything about a file it
may not read."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoloop.service import OperatorSettings
from tests.security.tenants import LLM_VARIABLES, Tenants, tenant_service, write_csv

pytestmark = pytest.mark.integration

SECRET_HEADER = "ssn_secret,salary_secret"


@pytest.fixture(autouse=True)
def _no_service_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LLM_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _refused(t: Tenants, who: dict[str, str], **body) -> str:
    reply = t.submit(who, optimizer="local", **body)
    assert reply.status_code == 422, reply.text
    detail = reply.json()["detail"]
    assert "secret" not in detail and str(t.home) not in detail  # nothing about the file, no path
    return detail


def test_row1_a_symlink_in_a_shared_folder_to_an_outside_file_is_refused(tmp_path: Path) -> None:
    shared, outside = tmp_path / "shared", write_csv(tmp_path / "outside" / "private.csv", SECRET_HEADER)
    shared.mkdir()
    (shared / "link.csv").symlink_to(outside)
    (shared / "sub").symlink_to(outside.parent, target_is_directory=True)
    with tenant_service(data_roots=(shared.resolve(),)) as t:
        for data_dir, options in (
            (shared, {"target": "nope"}),  # the folder holds the link: csv:link would read it
            (shared / "link.csv", {"target": "nope"}),
            (shared / "sub" / "private.csv", {"target": "ssn_secret"}),
        ):
            detail = _refused(t, t.a, task="csv:link", data_dir=str(data_dir), task_options=options)
            assert detail.startswith("data_dir: ")
        write_csv(shared / "pets.csv")
        (shared / "link.csv").unlink()
        (shared / "sub").unlink()
        ok = t.submit(t.a, task="csv:pets", data_dir=str(shared), task_options={"target": "kind"}, optimizer="local")
        assert ok.status_code == 201, ok.text


def test_row2_without_data_roots_the_service_reads_no_data_it_was_not_given(tmp_path: Path) -> None:
    anywhere = write_csv(tmp_path / "host" / "payroll.csv", SECRET_HEADER)
    with tenant_service(**_from_env({})) as t:
        assert t.settings.data_roots == ()
        for options in ({"target": "nope"}, {"target": "ssn_secret"}):
            detail = _refused(t, t.a, task="csv:payroll", data_dir=str(anywhere), task_options=options)
            assert detail.startswith("data_dir: not in your data folder or a folder this service shares")


def test_row3_odd_paths_are_422_never_500() -> None:
    with tenant_service() as t:
        for data_dir in ("~nosuchuser/x.csv", "~/x.csv", "pets\x00.csv", "/etc/passwd\x00", "../" * 40 + "etc/passwd", " "):
            detail = _refused(t, t.a, task="csv:x", data_dir=data_dir, task_options={"target": "kind"})
            assert detail.startswith("data_dir: ")
        loop = t.settings.tenants_folder / "loop"
        loop.parent.mkdir(parents=True, exist_ok=True)
        loop.symlink_to(loop)
        assert _refused(t, t.a, task="csv:x", data_dir=str(loop), task_options={"target": "kind"}).startswith("data_dir: ")


def test_row4_a_tenant_cannot_read_another_tenants_data_even_inside_the_shared_roots(tmp_path: Path) -> None:
    # The operator shares the whole temporary folder, which holds the service's home and its tenants' folders.
    with tenant_service(data_roots=(Path("/tmp").resolve(), tmp_path.resolve())) as t:
        upload = t.http.put("/v1/datasets/mine.csv", content=write_csv(tmp_path / "mine.csv").read_bytes(), headers=t.a)
        assert upload.status_code == 201, upload.text
        assert [d["name"] for d in t.http.get("/v1/datasets", headers=t.a).json()] == ["mine.csv"]
        assert t.http.get("/v1/datasets", headers=t.b).json() == []
        own = t.submit(t.a, task="csv:mine", data_dir="mine.csv", task_options={"target": "kind"}, optimizer="local")
        assert own.status_code == 201, own.text
        a_folder = next(p for p in t.settings.tenants_folder.iterdir() if (p / "mine.csv").exists())
        for data_dir in (a_folder / "mine.csv", a_folder, t.settings.tenants_folder, t.home / "redis.password", "../" + a_folder.name + "/mine.csv"):
            _refused(t, t.b, task="csv:mine", data_dir=str(data_dir), task_options={"target": "kind"})
        assert _refused(t, t.b, task="csv:mine", data_dir="mine.csv", task_options={"target": "kind"}).startswith("data_dir: no such file")
        assert (a_folder / "mine.csv").stat().st_mode & 0o077 == 0


def _from_env(environ: dict[str, str]) -> dict:
    """The settings ``OperatorSettings.from_env`` gives for ``environ`` (its home left to ``tenant_service``)."""
    settings = OperatorSettings.from_env(environ, home=Path("/nonexistent"))
    return {"data_roots": settings.data_roots, "tenant_data": settings.tenant_data}
