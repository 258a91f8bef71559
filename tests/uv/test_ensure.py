"""`bootstrap uv ensure` / bootstrap.uv.ensure(): the same sources and checks as install.sh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from support.cli import invoke
from support.network import netns_available, offline
from support.servers import serve_directory
from support.stage0 import INSTALL_SH, Artifacts, run_sh, sha256, shell_env

from bootstrap.errors import UserError
from bootstrap.paths import Paths
from bootstrap.uv import InstallFailed, ensure


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOTSTRAP_RETRY_DELAY", "0")
    for var in ("BOOTSTRAP_UV_LOCAL", "BOOTSTRAP_UV_MIRROR_URL", "BOOTSTRAP_UV_SOURCES"):
        monkeypatch.delenv(var, raising=False)


def version_of(path: Path) -> list[str]:
    out = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=False)
    return out.stdout.split()[:2]


def assert_nothing_installed(paths: Paths, version: str) -> None:
    assert not paths.uv_dir(version).exists()
    assert list((paths.data / "uv").glob(".tmp*")) == []


def test_installs_from_mirror_then_present(
    artifacts: Artifacts, test_pin: Path, fast: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = Paths.from_env()
    with serve_directory(artifacts.root) as srv:
        monkeypatch.setenv("BOOTSTRAP_UV_MIRROR_URL", f"{srv.url}/mirror")
        res = ensure(paths, sources="mirror")
        assert res.action == "installed" and res.source == f"mirror {srv.url}/mirror"
        assert version_of(res.path) == ["uv", artifacts.version]
        again = ensure(paths, sources="mirror")
    assert again.action == "present" and again.path == res.path
    assert len(srv.requests) == 1


@pytest.mark.parametrize("flavour", ["html", "json"])
def test_installs_wheel_from_simple_index(
    *,
    flavour: str,
    artifacts: Artifacts,
    test_pin: Path,
    fast: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def pep691(handler: BaseHTTPRequestHandler) -> bool:
        if flavour == "json" and handler.path.startswith("/simple/uv/"):
            assert "application/vnd.pypi.simple.v1+json" in handler.headers["Accept"]
            body = json.dumps(
                {
                    "meta": {"api-version": "1.1"},
                    "name": "uv",
                    "files": [
                        {
                            "filename": artifacts.wheel.name,
                            "url": f"/files/{artifacts.wheel.name}",
                            "hashes": {"sha256": sha256(artifacts.wheel)},
                        }
                    ],
                }
            ).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return True
        return False

    with serve_directory(artifacts.root, hook=pep691) as srv:
        monkeypatch.setenv("BOOTSTRAP_UV_INDEX_URL", f"{srv.url}/simple")
        res = ensure(Paths.from_env(), sources="index")
    assert res.action == "installed"
    assert ("GET", f"/files/{artifacts.wheel.name}") in srv.requests
    assert version_of(res.path) == ["uv", artifacts.version]


@pytest.mark.netns
def test_local_source_with_no_network(artifacts: Artifacts, test_pin: Path) -> None:
    if not netns_available():
        pytest.skip("unshare -n is not available here")
    code = (
        "from bootstrap.paths import Paths; from bootstrap.uv import ensure; "
        "r = ensure(Paths.from_env(), sources='local'); print(r.action, r.path)"
    )
    env = {**os.environ, "BOOTSTRAP_UV_LOCAL": str(artifacts.local)}
    res = subprocess.run(
        offline([sys.executable, "-c", code]),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    action, path = res.stdout.split()
    assert action == "installed"
    assert version_of(Path(path)) == ["uv", artifacts.version]


def test_python_and_shell_share_the_install(
    artifacts: Artifacts, test_pin: Path, fast: None, tmp_path: Path
) -> None:
    env = shell_env(tmp_path, BOOTSTRAP_UV_LOCAL=str(artifacts.local))
    assert run_sh(["dash"], ["--no-run"], env).returncode == 0
    res = ensure(Paths.from_env(), sources="local", verify=True)
    assert res.action == "present"  # install.sh's marker is Python's marker


# ----- faults -------------------------------------------------------------------------


def test_wrong_checksum(
    artifacts: Artifacts, test_pin: Path, fast: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    test_pin.write_text(artifacts.pin_text(archive_sha="0" * 64, wheel_sha="0" * 64))
    monkeypatch.setenv("BOOTSTRAP_UV_LOCAL", str(artifacts.local))
    paths = Paths.from_env()
    with pytest.raises(InstallFailed) as info:
        ensure(paths, sources="local")
    assert "checksum mismatch" in info.value.message
    assert "BOOTSTRAP_UV_LOCAL" in (info.value.fix or "")
    assert_nothing_installed(paths, artifacts.version)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("dotdot", "climbs out with '..'"),
        ("absolute", "has an absolute path"),
        ("symlink", "is a link"),
        ("truncated", "cannot unpack"),
    ],
)
def test_unsafe_or_broken_archives(
    *,
    kind: str,
    reason: str,
    artifacts: Artifacts,
    test_pin: Path,
    fast: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local = tmp_path / "local"
    target = local / artifacts.archive.name
    if kind == "truncated":
        local.mkdir()
        target.write_bytes(artifacts.archive.read_bytes()[:100_000])
    else:
        info = tarfile.TarInfo({"dotdot": "../x", "absolute": "/tmp/x", "symlink": "uv-l"}[kind])
        if kind == "symlink":
            info.type, info.linkname = tarfile.SYMTYPE, "../../../etc/passwd"
        else:
            info.size = 1
        artifacts.make_archive(target, [info])
    test_pin.write_text(artifacts.pin_text(archive_sha=sha256(target)))
    monkeypatch.setenv("BOOTSTRAP_UV_LOCAL", str(local))
    paths = Paths.from_env()
    with pytest.raises(InstallFailed) as err:
        ensure(paths, sources="local")
    assert reason in err.value.message
    assert_nothing_installed(paths, artifacts.version)


def test_server_error_then_success(
    artifacts: Artifacts, test_pin: Path, fast: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    left = {"n": 2}

    def flaky(handler: BaseHTTPRequestHandler) -> bool:
        if left["n"]:
            left["n"] -= 1
            handler.send_error(503)
            return True
        return False

    with serve_directory(artifacts.root, hook=flaky) as srv:
        monkeypatch.setenv("BOOTSTRAP_UV_MIRROR_URL", f"{srv.url}/mirror")
        res = ensure(Paths.from_env(), sources="mirror")
    assert res.action == "installed"
    assert len(srv.requests) == 3


def test_hung_source_times_out_and_index_wins(
    artifacts: Artifacts, test_pin: Path, fast: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hang(handler: BaseHTTPRequestHandler) -> bool:
        if "/mirror/" in handler.path:
            time.sleep(5)
            return True
        return False

    with serve_directory(artifacts.root, hook=hang) as srv:
        monkeypatch.setenv("BOOTSTRAP_READ_TIMEOUT", "0.5")
        monkeypatch.setenv("BOOTSTRAP_UV_MIRROR_URL", f"{srv.url}/mirror")
        monkeypatch.setenv("BOOTSTRAP_UV_INDEX_URL", f"{srv.url}/simple")
        start = time.monotonic()
        res = ensure(Paths.from_env(), sources="mirror,index")
    assert res.action == "installed" and res.source.startswith("index")  # type: ignore[union-attr]
    assert time.monotonic() - start < 4


def test_unreachable_sources_fail_with_every_reason(
    artifacts: Artifacts, test_pin: Path, fast: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOTSTRAP_UV_MIRROR_URL", "http://127.0.0.1:9/mirror")
    monkeypatch.setenv("BOOTSTRAP_UV_RELEASE_URL", "https://nonexistent.invalid/r")
    paths = Paths.from_env()
    start = time.monotonic()
    with pytest.raises(InstallFailed) as err:
        ensure(paths, sources="mirror,release")
    assert time.monotonic() - start < 5
    assert "mirror: cannot connect" in err.value.message
    assert "release: cannot connect" in err.value.message
    assert_nothing_installed(paths, artifacts.version)


def test_https_to_http_redirect_is_refused(
    *,
    artifacts: Artifacts,
    test_pin: Path,
    fast: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from support.tls import serve_tls

    with (
        serve_directory(artifacts.root) as plain,
        serve_tls(tmp_path, f"{plain.url}/mirror") as (
            https_url,
            ca,
        ),
    ):
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))
        monkeypatch.setenv("BOOTSTRAP_UV_MIRROR_URL", f"{https_url}/mirror")
        paths = Paths.from_env()
        with pytest.raises(InstallFailed) as err:
            ensure(paths, sources="mirror")
    assert "which is not https" in err.value.message
    assert plain.requests == []
    assert_nothing_installed(paths, artifacts.version)


def test_tampered_binary_is_reinstalled(
    artifacts: Artifacts, test_pin: Path, fast: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOTSTRAP_UV_LOCAL", str(artifacts.local))
    paths = Paths.from_env()
    first = ensure(paths, sources="local")
    good = sha256(first.path)
    time.sleep(0.01)
    with first.path.open("ab") as fh:
        fh.write(b"!")
    again = ensure(paths, sources="local")
    assert again.action == "installed"
    assert sha256(again.path) == good


def test_bad_source_names_are_user_errors(test_pin: Path) -> None:
    with pytest.raises(UserError, match="unknown uv source github"):
        ensure(Paths.from_env(), sources="local,github")


def test_cli_ensure_json_and_which(
    artifacts: Artifacts, test_pin: Path, fast: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOTSTRAP_UV_LOCAL", str(artifacts.local))
    missing = invoke("uv", "which")
    assert missing.exit_code == 1 and "bootstrap uv ensure" in missing.output
    out = invoke("uv", "ensure", "--source", "local", "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["action"] == "installed" and data["version"] == artifacts.version
    which = invoke("uv", "which")
    assert which.output.strip() == data["path"]
    alias = invoke("uv", "install", "--source", "local")
    assert alias.exit_code == 0 and "present and verified" in alias.output


def test_install_sh_file_is_executable() -> None:
    assert os.access(INSTALL_SH, os.X_OK)
