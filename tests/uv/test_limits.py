"""Nothing waits without bound, a full disk says so, and concurrent first runs never see
a half-installed uv (issue 15, item 3): a trickling server on 127.0.0.1 for the
download deadline (install.sh with curl and wget, ``ensure()``, ``cache import URL``),
six concurrent stage 0s in one fresh HOME, and a small tmpfs for "no space left".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from support.servers import serve_directory
from support.stage0 import Artifacts, run_sh, shell_env

from bootstrap.errors import BootstrapError
from bootstrap.paths import Paths
from bootstrap.uv import InstallFailed, ensure

TRICKLE_BYTES_PER_SECOND = 20


def trickle(handler: BaseHTTPRequestHandler) -> bool:
    """Answer every artifact and bundle request with 20 bytes a second: never silent long
    enough for a read timeout, never done. Stops when the client hangs up."""
    if not handler.path.endswith((".tar.gz", ".whl", ".tar")):
        return False
    handler.send_response(200)
    handler.send_header("Content-Length", str(50 * 1024 * 1024))
    handler.end_headers()
    try:
        for _ in range(600):
            handler.wfile.write(b"x" * TRICKLE_BYTES_PER_SECOND)
            handler.wfile.flush()
            time.sleep(1)
    except OSError:
        pass
    return True


def leftovers(root: Path) -> list[Path]:
    """Partial downloads and temp dirs anywhere under ``root``."""
    if not root.exists():
        return []
    return [p for p in root.rglob("*") if p.name.endswith(".part") or p.name.startswith(".tmp")]


@pytest.mark.parametrize("downloader", ["curl", "wget"])
def test_install_sh_stops_a_trickling_download_at_the_deadline(
    downloader: str, artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    if not shutil.which(downloader):
        pytest.skip(f"{downloader} is not installed")
    with serve_directory(artifacts.root, hook=trickle) as srv:
        env = shell_env(
            tmp_path / "home",
            BOOTSTRAP_UV_SOURCES="mirror",
            BOOTSTRAP_UV_MIRROR_URL=f"{srv.url}/mirror",
            BOOTSTRAP_DOWNLOADER=downloader,
            BOOTSTRAP_DOWNLOAD_DEADLINE="3",
        )
        start = time.monotonic()
        res = run_sh(["dash"], ["--no-run"], env, timeout=30)
        elapsed = time.monotonic() - start
    assert res.returncode == 1, res.stderr
    assert "did not finish downloading within 3s (BOOTSTRAP_DOWNLOAD_DEADLINE)" in res.stderr
    assert 2.5 < elapsed < 10, elapsed
    assert not (uv_home / artifacts.version).exists()
    assert leftovers(uv_home) == []


@pytest.mark.parametrize("value", ["0", "-5", "ten", "1e3"])
def test_install_sh_refuses_a_bad_deadline(
    value: str, artifacts: Artifacts, test_pin: Path, tmp_path: Path
) -> None:
    env = shell_env(
        tmp_path,
        BOOTSTRAP_UV_SOURCES="mirror",
        BOOTSTRAP_UV_MIRROR_URL="http://127.0.0.1:9/mirror",
        BOOTSTRAP_DOWNLOAD_DEADLINE=value,
    )
    res = run_sh(["dash"], ["--no-run"], env)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert lines[-1] == (
        "install.sh: error: BOOTSTRAP_DOWNLOAD_DEADLINE must be a whole number of seconds "
        f"above 0, not '{value}'"
    ), res.stderr


def test_ensure_stops_a_trickling_download_at_the_deadline(
    artifacts: Artifacts, test_pin: Path, tmp_path: Path
) -> None:
    paths = Paths.from_env()
    with serve_directory(artifacts.root, hook=trickle) as srv:
        env = {
            "BOOTSTRAP_UV_MIRROR_URL": f"{srv.url}/mirror",
            "BOOTSTRAP_UV_PIN_FILE": str(test_pin),
            "BOOTSTRAP_DOWNLOAD_DEADLINE": "2",
            "BOOTSTRAP_RETRY_DELAY": "0",
        }
        start = time.monotonic()
        with pytest.raises(InstallFailed) as err:
            ensure(paths, sources="mirror", environ=env)
        elapsed = time.monotonic() - start
    assert "did not finish downloading within 2s (BOOTSTRAP_DOWNLOAD_DEADLINE)" in str(
        err.value.message
    )
    assert 1.5 < elapsed < 8, elapsed
    assert leftovers(paths.data) == []


def test_cache_import_url_stops_a_trickling_download_and_leaves_no_part_file(
    tmp_path: Path,
) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (served / "bundle.tar").write_bytes(b"not needed: the hook answers")
    home = Path(os.environ["BOOTSTRAP_HOME"])
    with serve_directory(served, hook=trickle) as srv:
        env = {**os.environ, "BOOTSTRAP_DOWNLOAD_DEADLINE": "2", "BOOTSTRAP_RETRY_DELAY": "0"}
        start = time.monotonic()
        lock = Path(__file__).resolve().parents[2] / "uv.lock"  # what vouches for it
        argv = [sys.executable, "-m", "bootstrap", "cache", "import", f"{srv.url}/bundle.tar"]
        res = subprocess.run(
            [*argv, "--lock", str(lock)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        elapsed = time.monotonic() - start
    assert res.returncode == 1, res.stderr
    assert "did not finish downloading within 2s" in res.stderr
    assert "Traceback" not in res.stderr
    assert elapsed < 15, elapsed
    assert list(home.rglob("*.part")) == []
    assert list(home.rglob("bundle.tar")) == []


# ----- concurrent first installs -------------------------------------------------------

ROUNDS = 5
CONCURRENT = 6
RUNS_EACH = 10  # the first installs; the rest find uv present and exec it at once


def test_six_concurrent_first_installs_in_one_home_never_miss_uv(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    """Six stage 0s start at once in a fresh HOME: all install, and each one that is done
    runs again and again (finds uv present, execs it) while the others are still
    replacing it. The old replace step moved the directory aside first, and a run that
    came in between got `exec: .../uv: not found`."""
    home = tmp_path / "home"
    env = shell_env(home, BOOTSTRAP_UV_LOCAL=str(artifacts.local))
    want = f"uv {artifacts.version}"
    failures: list[str] = []

    def worker(_: int) -> list[subprocess.CompletedProcess[str]]:
        return [run_sh(["dash"], ["--uv", "--version"], env) for _ in range(RUNS_EACH)]

    for round_ in range(ROUNDS):
        shutil.rmtree(uv_home.parent, ignore_errors=True)  # a fresh data dir every round
        with ThreadPoolExecutor(CONCURRENT) as pool:
            runs = [r for rs in pool.map(worker, range(CONCURRENT)) for r in rs]
        failures += [
            f"round {round_}: exit {r.returncode}: {r.stderr.strip()[-300:]}"
            for r in runs
            if r.returncode != 0 or not r.stdout.startswith(want)
        ]
    assert failures == []
    assert leftovers(uv_home) == []


def test_concurrent_ensure_and_install_sh_agree(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    """The Python twin replaces files the same way: three ensure() processes and three
    stage 0s at once, each running the uv it got."""
    env = shell_env(tmp_path / "home", BOOTSTRAP_UV_LOCAL=str(artifacts.local))
    code = (
        "import subprocess, sys\n"
        "from bootstrap.paths import Paths\n"
        "from bootstrap.uv import ensure\n"
        "r = ensure(Paths.from_env(), sources='local')\n"
        "sys.stdout.write(subprocess.run([str(r.path), '--version'], capture_output=True,"
        " text=True, check=True).stdout)\n"
    )
    py_env = {**os.environ, **env, "PYTHONPATH": str(Path(__file__).parents[2])}

    def one(i: int) -> subprocess.CompletedProcess[str]:
        if i % 2:
            return run_sh(["dash"], ["--uv", "--version"], env, timeout=60)
        return subprocess.run(
            [sys.executable, "-c", code],
            env=py_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    for _ in range(2):
        shutil.rmtree(uv_home.parent, ignore_errors=True)
        with ThreadPoolExecutor(6) as pool:
            runs = list(pool.map(one, range(6)))
        for r in runs:
            assert r.returncode == 0, r.stderr
            assert r.stdout.startswith(f"uv {artifacts.version}"), r.stdout


# ----- --modify-path with a HOME no shell likes ----------------------------------------


@pytest.mark.parametrize("shell", ["dash", "bash", "busybox"])
def test_modify_path_quotes_a_home_with_quotes_and_dollars(
    shell: str, artifacts: Artifacts, test_pin: Path, tmp_path: Path
) -> None:
    if not shutil.which(shell):
        pytest.skip(f"{shell} is not installed")
    home = tmp_path / "h\"o'm $e `x`"
    home.mkdir()
    env = shell_env(home, BOOTSTRAP_UV_LOCAL=str(artifacts.local))
    env["BOOTSTRAP_HOME"] = str(home / "bs")
    res = run_sh(["dash"], ["--no-run", "--modify-path"], env)
    assert res.returncode == 0, res.stderr
    assert run_sh(["dash"], ["--no-run", "--modify-path"], env).returncode == 0
    profile = (home / ".profile").read_text()
    assert profile.count("\n. ") == 1  # idempotent
    login = [shell, "sh"] if shell == "busybox" else [shell]
    out = subprocess.run(
        [*login, "-c", '. "$HOME/.profile" && command -v uv && echo "PATH=$PATH"'],
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    want = home / "bs" / "data" / "uv" / artifacts.version
    assert out.stdout.splitlines()[0] == str(want / "uv")
    # Sourcing twice does not add the directory twice.
    twice = subprocess.run(
        [*login, "-c", '. "$HOME/.profile"; . "$HOME/.profile"; echo "$PATH"'],
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert twice.stdout.strip() == f"{want}:/usr/bin:/bin"


# ----- a full disk -----------------------------------------------------------------------


@contextmanager
def small_tmpfs(where: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` at ``where``; skips where mounting is not permitted."""
    where.mkdir(parents=True, exist_ok=True)
    if not shutil.which("mount"):
        pytest.skip("no mount command")
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def _sizes(artifacts: Artifacts) -> dict[str, int]:
    kib = artifacts.archive.stat().st_size // 1024
    return {
        # Not even the download fits (curl: exit 23, "failure writing output").
        "download": 256,
        # The download fits, unpacking the 40 MB binary does not.
        "extract": kib + 2048,
    }


@pytest.mark.parametrize("stage", ["download", "extract"])
def test_install_sh_says_no_space_left(
    stage: str, artifacts: Artifacts, test_pin: Path, tmp_path: Path
) -> None:
    bs_home = tmp_path / "bs"
    with (
        small_tmpfs(bs_home, _sizes(artifacts)[stage]),
        serve_directory(artifacts.root) as srv,
    ):
        env = shell_env(
            tmp_path / "home",
            BOOTSTRAP_HOME=str(bs_home),
            BOOTSTRAP_UV_SOURCES="mirror",
            BOOTSTRAP_UV_MIRROR_URL=f"{srv.url}/mirror",
        )
        res = run_sh(["dash"], ["--no-run"], env)
        data_uv = bs_home / "data" / "uv"
        assert res.returncode == 1
        assert f"install.sh: error: no space left on {data_uv}\n" in res.stderr, res.stderr
        assert "unsafe or broken" not in res.stderr and "curl exit 23" not in res.stderr
        assert leftovers(bs_home) == []
        assert not (data_uv / artifacts.version).exists()


@pytest.mark.parametrize("stage", ["download", "extract"])
def test_ensure_says_no_space_left(
    stage: str, artifacts: Artifacts, test_pin: Path, tmp_path: Path
) -> None:
    bs_home = tmp_path / "bs"
    with (
        small_tmpfs(bs_home, _sizes(artifacts)[stage]),
        serve_directory(artifacts.root) as srv,
    ):
        paths = Paths.from_env({"BOOTSTRAP_HOME": str(bs_home)})
        env = {
            "BOOTSTRAP_UV_MIRROR_URL": f"{srv.url}/mirror",
            "BOOTSTRAP_UV_PIN_FILE": str(test_pin),
            "BOOTSTRAP_RETRY_DELAY": "0",
        }
        with pytest.raises(BootstrapError) as err:
            ensure(paths, sources="mirror", environ=env)
        assert err.value.message == f"no space left on {paths.data / 'uv'}"
        assert err.value.code == "disk.no_space"
        assert leftovers(bs_home) == []
