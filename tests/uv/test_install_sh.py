"""install.sh, run for real under dash, bash and busybox sh against loopback servers."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from support.network import netns_available, offline
from support.servers import serve_directory
from support.stage0 import INSTALL_SH, SHELLS, Artifacts, run_sh, sha256, shell_env


def installed(uv_home: Path, version: str) -> Path:
    return uv_home / version / "uv"


def assert_nothing_installed(uv_home: Path, version: str) -> None:
    assert not (uv_home / version).exists()
    leftovers = list(uv_home.glob(".tmp*")) if uv_home.exists() else []
    assert leftovers == [], leftovers


def uv_version(path: Path) -> str:
    return subprocess.run(
        [str(path), "--version"], capture_output=True, text=True, check=False
    ).stdout


def test_shellcheck_clean() -> None:
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck is not installed (.ci/run installs it)")
    res = subprocess.run(
        ["shellcheck", "-s", "sh", str(INSTALL_SH)], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stdout


@pytest.mark.parametrize("shell", SHELLS)
def test_installs_from_mirror_then_rerun_is_a_noop(
    shell: list[str], artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    with serve_directory(artifacts.root) as srv:
        env = shell_env(
            tmp_path / "home",
            BOOTSTRAP_UV_SOURCES="mirror",
            BOOTSTRAP_UV_MIRROR_URL=f"{srv.url}/mirror",
        )
        first = run_sh(shell, ["--no-run"], env)
        assert first.returncode == 0, first.stderr
        uv = installed(uv_home, artifacts.version)
        assert uv_version(uv).split()[:2] == ["uv", artifacts.version]
        assert "installed uv" in first.stderr
        marker = (uv_home / artifacts.version / ".verified").read_text()
        assert f"artifact {sha256(artifacts.archive)}" in marker
        hits = len(srv.requests)

        start = time.monotonic()
        second = run_sh(shell, ["--no-run"], env)
        elapsed = time.monotonic() - start
    assert second.returncode == 0, second.stderr
    assert "installing" not in second.stderr
    assert len(srv.requests) == hits  # nothing fetched
    assert elapsed < 1.0
    assert not (tmp_path / "home" / ".profile").exists()  # no rc edits unless asked


def test_installs_wheel_from_simple_index(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    with serve_directory(artifacts.root) as srv:
        env = shell_env(
            tmp_path, BOOTSTRAP_UV_SOURCES="index", BOOTSTRAP_UV_INDEX_URL=f"{srv.url}/simple/"
        )
        res = run_sh(["dash"], ["--no-run"], env)
    assert res.returncode == 0, res.stderr
    assert ("GET", f"/files/{artifacts.wheel.name}") in srv.requests
    marker = (uv_home / artifacts.version / ".verified").read_text()
    assert f"artifact {sha256(artifacts.wheel)}" in marker
    assert uv_version(installed(uv_home, artifacts.version)).startswith(f"uv {artifacts.version}")


@pytest.mark.netns
def test_local_directory_source_with_no_network(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    if not netns_available():
        pytest.skip("unshare -n is not available here")
    env = shell_env(tmp_path, BOOTSTRAP_UV_LOCAL=str(artifacts.local))
    res = subprocess.run(
        offline(["dash", str(INSTALL_SH), "--no-run"]),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert "from local" in res.stderr
    assert uv_version(installed(uv_home, artifacts.version)).startswith(f"uv {artifacts.version}")


def test_uv_mode_execs_uv_with_the_stage0_clock(
    artifacts: Artifacts, test_pin: Path, tmp_path: Path
) -> None:
    env = shell_env(tmp_path, BOOTSTRAP_UV_LOCAL=str(artifacts.local))
    before = time.time()
    res = run_sh(["dash"], ["--uv", "--version"], env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[:2] == ["uv", artifacts.version]
    probe = run_sh(
        ["dash"],
        [
            "--uv",
            "run",
            "--no-project",
            "python",
            "-c",
            "import os; print(os.environ['BOOTSTRAP_STAGE0_START'], os.environ['BOOTSTRAP_UV'])",
        ],
        env,
    )
    assert probe.returncode == 0, probe.stderr
    start, uv_path = probe.stdout.split()
    assert before - 1 < float(start) <= time.time()
    assert "." in start  # sub-second precision where date supports it
    assert Path(uv_path).name == "uv"


def test_handover_runs_bootstrap_up_from_the_checkout(
    artifacts: Artifacts, test_pin: Path, tmp_path: Path, warm_uv_cache: str
) -> None:
    env = shell_env(
        tmp_path,
        BOOTSTRAP_UV_LOCAL=str(artifacts.local),
        UV_OFFLINE="1",
        UV_CACHE_DIR=warm_uv_cache,
    )
    res = run_sh(["dash"], ["--", "--help"], env, cwd=tmp_path, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Usage: bootstrap up" in res.stdout


# ----- faults: each leaves nothing installed and says why -----------------------------


def _mirror_env(srv_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return shell_env(
        tmp_path,
        BOOTSTRAP_UV_SOURCES="mirror",
        BOOTSTRAP_UV_MIRROR_URL=f"{srv_url}/mirror",
        **extra,
    )


def test_wrong_checksum_installs_nothing(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    test_pin.write_text(artifacts.pin_text(archive_sha="0" * 64))
    with serve_directory(artifacts.root) as srv:
        res = run_sh(["dash"], ["--no-run"], _mirror_env(srv.url, tmp_path))
    assert res.returncode == 1
    assert "checksum mismatch" in res.stderr and "0" * 64 in res.stderr
    assert_nothing_installed(uv_home, artifacts.version)


def test_truncated_archive_installs_nothing(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    served = tmp_path / "srv"
    bad = served / "mirror" / artifacts.version / artifacts.archive.name
    bad.parent.mkdir(parents=True)
    bad.write_bytes(artifacts.archive.read_bytes()[: artifacts.archive.stat().st_size // 2])
    with serve_directory(served) as srv:
        # Pinned to the real archive: the truncated download fails the checksum.
        res = run_sh(["dash"], ["--no-run"], _mirror_env(srv.url, tmp_path))
        assert res.returncode == 1 and "checksum mismatch" in res.stderr
        # Even pinned as it is, a truncated archive is refused when unpacked.
        test_pin.write_text(artifacts.pin_text(archive_sha=sha256(bad)))
        res = run_sh(["dash"], ["--no-run"], _mirror_env(srv.url, tmp_path))
    assert res.returncode == 1
    assert "unsafe or broken artifact" in res.stderr
    assert_nothing_installed(uv_home, artifacts.version)


def _evil(kind: str, escape: Path) -> tarfile.TarInfo:
    if kind == "dotdot":
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 3
    elif kind == "absolute":
        info = tarfile.TarInfo(str(escape / "absolute.txt"))
        info.size = 3
    else:
        info = tarfile.TarInfo("uv-x/evil-link")
        info.type = tarfile.SYMTYPE
        info.linkname = "../../../../../../etc"
    return info


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("dotdot", "climbs out with '..'"), ("absolute", "has an absolute path"), ("symlink", "link")],
)
def test_unsafe_members_are_refused(
    *,
    kind: str,
    reason: str,
    artifacts: Artifacts,
    test_pin: Path,
    uv_home: Path,
    tmp_path: Path,
) -> None:
    served = tmp_path / "srv"
    escape = tmp_path / "escape"
    escape.mkdir()
    bad = artifacts.make_archive(
        served / "mirror" / artifacts.version / artifacts.archive.name, [_evil(kind, escape)]
    )
    test_pin.write_text(artifacts.pin_text(archive_sha=sha256(bad)))  # pinned, yet unsafe
    with serve_directory(served) as srv:
        res = run_sh(["dash"], ["--no-run"], _mirror_env(srv.url, tmp_path))
    assert res.returncode == 1
    assert reason in res.stderr
    assert_nothing_installed(uv_home, artifacts.version)
    assert list(escape.iterdir()) == []


def test_server_error_is_retried(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    failures = {"left": 1}

    def flaky(handler: BaseHTTPRequestHandler) -> bool:
        if handler.path.endswith(".tar.gz") and failures["left"]:
            failures["left"] -= 1
            handler.send_error(500, "try again")
            return True
        return False

    with serve_directory(artifacts.root, hook=flaky) as srv:
        res = run_sh(["dash"], ["--no-run"], _mirror_env(srv.url, tmp_path))
    assert res.returncode == 0, res.stderr
    assert "HTTP 500" in res.stderr and "retrying" in res.stderr
    assert installed(uv_home, artifacts.version).exists()


def test_server_that_never_answers_times_out_and_fails_over(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    def hang(handler: BaseHTTPRequestHandler) -> bool:
        if "/mirror/" in handler.path:
            time.sleep(8)
            return True
        return False

    with serve_directory(artifacts.root, hook=hang) as srv:
        env = _mirror_env(srv.url, tmp_path, BOOTSTRAP_READ_TIMEOUT="1")
        start = time.monotonic()
        res = run_sh(["dash"], ["--no-run"], env)
        assert res.returncode == 1
        assert "no answer" in res.stderr
        assert_nothing_installed(uv_home, artifacts.version)
        # Same hung mirror first, then the index: the index wins, quickly.
        env.update(BOOTSTRAP_UV_SOURCES="mirror,index", BOOTSTRAP_UV_INDEX_URL=f"{srv.url}/simple")
        res = run_sh(["dash"], ["--no-run"], env)
        elapsed = time.monotonic() - start
    assert res.returncode == 0, res.stderr
    assert "from index" in res.stderr
    assert elapsed < 7


def test_unreachable_source_fails_over_fast(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    with serve_directory(artifacts.root) as srv:
        env = shell_env(
            tmp_path,
            BOOTSTRAP_UV_SOURCES="mirror,release,index",
            BOOTSTRAP_UV_MIRROR_URL="http://127.0.0.1:9/mirror",  # nothing listens on port 9
            BOOTSTRAP_UV_RELEASE_URL="https://nonexistent.invalid/releases",
            BOOTSTRAP_UV_INDEX_URL=f"{srv.url}/simple",
        )
        start = time.monotonic()
        res = run_sh(["dash"], ["--no-run"], env)
    assert res.returncode == 0, res.stderr
    assert time.monotonic() - start < 5
    assert installed(uv_home, artifacts.version).exists()


def test_loopback_redirect_elsewhere_is_refused(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    def redirect(handler: BaseHTTPRequestHandler) -> bool:
        handler.send_response(302)
        handler.send_header("Location", "http://example.com/uv.tar.gz")
        handler.end_headers()
        return True

    with serve_directory(artifacts.root, hook=redirect) as srv:
        res = run_sh(["dash"], ["--no-run"], _mirror_env(srv.url, tmp_path))
    assert res.returncode == 1
    assert "refused a redirect" in res.stderr
    assert_nothing_installed(uv_home, artifacts.version)


def test_https_to_http_redirect_is_refused(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    from support.tls import serve_tls

    with (
        serve_directory(artifacts.root) as plain,
        serve_tls(tmp_path, f"{plain.url}/mirror") as (https_url, ca),
    ):
        env = shell_env(
            tmp_path,
            BOOTSTRAP_UV_SOURCES="mirror",
            BOOTSTRAP_UV_MIRROR_URL=f"{https_url}/mirror",
            CURL_CA_BUNDLE=str(ca),
        )
        res = run_sh(["dash"], ["--no-run"], env)
    assert res.returncode == 1
    assert "not https" in res.stderr
    assert plain.requests == []  # the http URL was never fetched
    assert_nothing_installed(uv_home, artifacts.version)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/m",
        # userinfo that looks like a loopback host: the request would go to 10.9.9.9
        "http://localhost:1@10.9.9.9:18090/simple",
        "http://127.0.0.1.example.com/m",
        "http://127.0.0.1@example.com/m",
    ],
)
def test_plain_http_to_a_remote_host_is_refused(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path, url: str
) -> None:
    env = shell_env(tmp_path, BOOTSTRAP_UV_SOURCES="mirror", BOOTSTRAP_UV_MIRROR_URL=url)
    res = run_sh(["dash"], ["--no-run"], env)
    assert res.returncode == 1
    assert "only https" in res.stderr
    assert_nothing_installed(uv_home, artifacts.version)


def test_tampered_binary_is_caught_and_reinstalled(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    env = shell_env(tmp_path, BOOTSTRAP_UV_LOCAL=str(artifacts.local))
    assert run_sh(["dash"], ["--no-run"], env).returncode == 0
    uv = installed(uv_home, artifacts.version)
    good = sha256(uv)
    time.sleep(0.01)
    with uv.open("ab") as fh:
        fh.write(b"tampered")
    res = run_sh(["dash"], ["--no-run"], env)
    assert res.returncode == 0, res.stderr
    assert "does not match the checksum recorded" in res.stderr
    assert sha256(uv) == good


def test_failed_reinstall_keeps_the_previous_uv(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    env = shell_env(tmp_path, BOOTSTRAP_UV_LOCAL=str(artifacts.local))
    assert run_sh(["dash"], ["--no-run"], env).returncode == 0
    uv = installed(uv_home, artifacts.version)
    good = sha256(uv)
    # The pin moves to checksums no source can satisfy: the old uv must stay intact.
    test_pin.write_text(artifacts.pin_text(archive_sha="1" * 64, wheel_sha="2" * 64))
    res = run_sh(["dash"], ["--no-run"], env)
    assert res.returncode == 1
    assert "nothing was changed" in res.stderr
    assert sha256(uv) == good


def test_refuses_without_a_sha256_tool(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    needed = "dash uname ldd date cat sed grep mkdir mktemp rm find tar head tr curl cp mv"
    for tool in (*needed.split(), "basename", "chmod", "touch", "sleep", "dirname"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    env = shell_env(tmp_path, PATH=str(bin_dir), BOOTSTRAP_UV_LOCAL=str(artifacts.local))
    res = run_sh([str(bin_dir / "dash")], ["--no-run"], env)
    assert res.returncode == 1
    assert "no SHA-256 tool" in res.stderr
    assert_nothing_installed(uv_home, artifacts.version)


def test_no_source_configured_names_every_reason(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    env = shell_env(tmp_path, BOOTSTRAP_UV_SOURCES="local,mirror")
    res = run_sh(["dash"], ["--no-run"], env)
    assert res.returncode == 1
    assert "fix: set BOOTSTRAP_UV_LOCAL" in res.stderr
    assert_nothing_installed(uv_home, artifacts.version)


def test_archive_source_without_a_pinned_checksum_is_skipped(
    artifacts: Artifacts, uv_home: Path, tmp_path: Path
) -> None:
    # The real pin has no archive checksums here: the release source says so and skips.
    env = shell_env(tmp_path, BOOTSTRAP_UV_SOURCES="release")
    env.pop("BOOTSTRAP_UV_PIN_FILE", None)
    res = run_sh(["dash"], ["--no-run"], env)
    assert res.returncode == 1
    assert "the pin has no checksum for" in res.stderr
    assert_nothing_installed(uv_home, artifacts.version)


def test_modify_path_only_when_asked(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = shell_env(home, BOOTSTRAP_UV_LOCAL=str(artifacts.local))
    assert run_sh(["dash"], ["--no-run", "--modify-path"], env).returncode == 0
    assert run_sh(["dash"], ["--no-run", "--modify-path"], env).returncode == 0
    profile = (home / ".profile").read_text()
    assert profile.count(". ") == 1  # idempotent
    out = subprocess.run(
        ["dash", "-c", f". {home / '.profile'}; command -v uv"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.stdout.strip() == str(installed(uv_home, artifacts.version))


@pytest.mark.parametrize("xdg", [None, "xdg", ""])
def test_data_dir_matches_paths(
    xdg: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bootstrap.paths import Paths

    home = tmp_path / "home"
    env = shell_env(home)
    if xdg is not None:  # no BOOTSTRAP_HOME: the per-user platform directory
        env.pop("BOOTSTRAP_HOME")
        env["XDG_DATA_HOME"] = str(tmp_path / xdg) if xdg else ""
        monkeypatch.delenv("BOOTSTRAP_HOME")
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])
    res = run_sh(["dash"], ["--print-data-dir"], env)
    assert Path(res.stdout.strip()) == Paths.from_env().data


def test_print_triple_matches_python(tmp_path: Path) -> None:
    from bootstrap.uv.platform import detect_triple

    res = run_sh(["dash"], ["--print-triple"], shell_env(tmp_path))
    assert res.stdout.strip() == detect_triple({})


@pytest.mark.network
def test_real_pin_installs_from_pypi(uv_home: Path, tmp_path: Path) -> None:
    env = shell_env(tmp_path)
    env.pop("BOOTSTRAP_UV_PIN_FILE", None)
    res = run_sh(["dash"], ["--no-run"], env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "from index https://pypi.org/simple" in res.stderr
    from bootstrap.uv.pin import load

    version = load({}).version
    assert uv_version(uv_home / version / "uv").split()[:2] == ["uv", version]


# ----- what a bare machine may have: wget instead of curl, no unzip ------------------


def restricted_path(tmp_path: Path, hide: set[str]) -> str:
    """A PATH with every command of this one except ``hide``."""
    bin_dir = tmp_path / "restricted-bin"
    bin_dir.mkdir(exist_ok=True)
    for entry in os.environ["PATH"].split(os.pathsep):
        folder = Path(entry)
        if not folder.is_dir():
            continue
        for tool in folder.iterdir():
            link = bin_dir / tool.name
            if tool.name not in hide and not link.exists() and os.access(tool, os.X_OK):
                link.symlink_to(tool)
    return str(bin_dir)


def test_wget_installs_retries_and_refuses_redirects(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    if not shutil.which("wget"):
        pytest.skip("wget is not installed")
    state = {"fail": 1, "redirect": False}

    def hook(handler: BaseHTTPRequestHandler) -> bool:
        if state["redirect"]:
            handler.send_response(302)
            handler.send_header("Location", "http://example.com/x")
            handler.end_headers()
            return True
        if state["fail"]:
            state["fail"] -= 1
            handler.send_error(500)
            return True
        return False

    with serve_directory(artifacts.root, hook=hook) as srv:
        env = _mirror_env(
            srv.url, tmp_path, PATH=restricted_path(tmp_path, {"curl"}), BOOTSTRAP_DOWNLOADER=""
        )
        res = run_sh(["dash"], ["--no-run"], env)
        assert res.returncode == 0, res.stderr
        assert "HTTP 500" in res.stderr and "retrying" in res.stderr
        shutil.rmtree(uv_home / artifacts.version)
        state["redirect"] = True
        res = run_sh(["dash"], ["--no-run"], env)
    assert res.returncode == 1
    assert "redirect" in res.stderr
    assert_nothing_installed(uv_home, artifacts.version)


@pytest.mark.parametrize("hide", [{"unzip"}, {"unzip", "busybox"}], ids=["busybox", "python3"])
def test_wheel_unpacks_without_unzip(
    hide: set[str], artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    needed = "busybox" if "busybox" not in hide else "python3"
    if not shutil.which(needed):
        pytest.skip(f"{needed} is not installed")
    local = tmp_path / "only-wheel"
    local.mkdir()
    shutil.copy(artifacts.wheel, local / artifacts.wheel.name)
    env = shell_env(tmp_path, PATH=restricted_path(tmp_path, hide), BOOTSTRAP_UV_LOCAL=str(local))
    res = run_sh(["dash"], ["--no-run"], env)
    assert res.returncode == 0, res.stderr
    assert uv_version(installed(uv_home, artifacts.version)).startswith(f"uv {artifacts.version}")


def test_data_dir_with_spaces(artifacts: Artifacts, test_pin: Path, tmp_path: Path) -> None:
    # As on macOS (~/Library/Application Support): temp dirs are cleaned, nothing else.
    home = tmp_path / "Application Support"
    neighbour = tmp_path / "Application"
    neighbour.mkdir()
    env = shell_env(tmp_path, BOOTSTRAP_HOME=str(home), BOOTSTRAP_UV_LOCAL=str(artifacts.local))
    for shell in (["dash"], ["bash", "--posix"], ["busybox", "sh"]):
        res = run_sh(shell, ["--no-run", "--verify"], env)
        assert res.returncode == 0, res.stderr
    assert (home / "data" / "uv" / artifacts.version / "uv").exists()
    assert list((home / "data" / "uv").glob(".tmp*")) == []
    assert neighbour.exists()
