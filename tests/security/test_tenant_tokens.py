"""Row 11 of issue 24 and item 5's hygiene: tokens are listed and revoked (CLI and API), everything in
AUTOLOOP_HOME is private, and the report page runs only its own scripts."""

from __future__ import annotations

import json
import stat

import httpx
import pytest

from autoloop.cli import main
from autoloop.service._csp import report_headers
from tests.service.conftest import Cluster, cluster  # noqa: F401 - the cluster fixture

pytestmark = pytest.mark.integration


def test_row11_a_token_is_listed_and_revoked_by_the_cli_and_stops_working_at_once(cluster: Cluster, capsys) -> None:
    token = cluster.token("alice")
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{cluster.url}/v1/studies", headers=auth).status_code == 200
    home = ["--data-dir", str(cluster.home)]
    assert main(["token", "list", "--json", *home]) == 0
    [listed] = [t for t in json.loads(capsys.readouterr().out) if t["name"] == "alice"]
    assert token not in json.dumps(listed) and set(listed) == {"id", "owner", "name", "created_at"}
    assert main(["token", "create", "--name", "alice-2", "--owner", listed["owner"], *home]) == 0
    second = capsys.readouterr().out.strip()
    assert main(["token", "revoke", listed["id"], *home]) == 0
    assert f"revoked token {listed['id']}" in capsys.readouterr().out
    assert httpx.get(f"{cluster.url}/v1/studies", headers=auth).status_code == 401
    assert httpx.get(f"{cluster.url}/v1/studies", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    assert main(["token", "revoke", listed["id"], *home]) == 2  # unknown id: a clear error, not a traceback
    assert "no token with id" in capsys.readouterr().err


def test_row11_a_tenant_lists_and_revokes_its_own_tokens_through_the_api_only(cluster: Cluster) -> None:
    a, b = cluster.token("a"), cluster.token("b")
    api = f"{cluster.url}/v1/tokens"
    [a_info] = httpx.get(api, headers={"Authorization": f"Bearer {a}"}).json()
    [b_info] = httpx.get(api, headers={"Authorization": f"Bearer {b}"}).json()
    assert a_info["name"] == "a" and a not in json.dumps(a_info)
    assert httpx.delete(f"{api}/{a_info['id']}", headers={"Authorization": f"Bearer {b}"}).status_code == 404
    assert httpx.delete(f"{api}/{b_info['id']}", headers={"Authorization": f"Bearer {b}"}).status_code == 200
    assert httpx.get(api, headers={"Authorization": f"Bearer {b}"}).status_code == 401
    assert httpx.get(api, headers={"Authorization": f"Bearer {a}"}).status_code == 200


def test_everything_in_autoloop_home_is_private(cluster: Cluster) -> None:
    cluster.token()
    cluster.redis().set("autoloop:probe", "x")  # something for the append-only file
    assert stat.S_IMODE(cluster.home.stat().st_mode) == 0o700
    found = {p.name: stat.S_IMODE(p.stat().st_mode) for p in cluster.home.rglob("*") if not p.name.endswith(".log") or p.name == "redis.log"}
    assert {"redis.log", "redis.password", "redis.url", "service.lock"} <= set(found)
    assert any(name.startswith("appendonly.aof") for name in found), found
    loose = {name: oct(mode) for name, mode in found.items() if mode & 0o077}
    assert not loose, loose


def test_the_report_page_runs_only_its_own_inline_scripts() -> None:
    page = "<html><script>draw()</script><div>x</div><script src='a.js'></script></html>"
    policy = report_headers(page)["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    injected = report_headers(page.replace("draw()", "steal()"))["Content-Security-Policy"]
    assert policy != injected  # a script the renderer did not write has no hash in the policy
    assert policy.count("'sha256-") == 1
