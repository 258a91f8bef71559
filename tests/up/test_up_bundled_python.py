"""A machine with no Python at all: the bundle carries the pinned interpreter, stage 0
installs uv and it (offline, with uv), and `bootstrap up` runs on it to the first run.

The interpreter is the Debian-built install_only archive (tests/support/pyarchive.py);
the "machine" is a mount namespace whose PATH and /usr/bin hold no python
(tests/support/nopython.py), with no network and a fresh HOME."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import netns_available
from support.nopython import PATH, no_python
from support.pyarchive import PyArchive, write_pin
from upkit import fresh_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available"),
]


def base_prefix(python: Path) -> Path:
    out = subprocess.run(
        [str(python), "-c", "import sys; print(sys.base_prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


def test_no_python_anywhere_first_run_on_the_bundled_interpreter(
    tree: Path, tmp_path: Path, py_archive: PyArchive, py_bundle: tuple[Path, Path]
) -> None:
    bundle, _ = py_bundle
    # The team's committed pin, in the checkout the new hire has.
    write_pin(tree / "bootstrap" / "python" / "pin.txt", py_archive)
    env = fresh_env(tmp_path, PATH=PATH, UV_PYTHON_INSTALL_MIRROR="https://mirror.invalid/pbs")
    res = subprocess.run(
        no_python(["sh", "./install.sh", "--cache-bundle", str(bundle), "--profile", "python-service"]),
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "service ok" in out and "time to first successful run" in out
    assert f"CPython {py_archive.version} (pinned, from the bundle) installed by uv, offline" in out
    assert out.count("UV_PYTHON_INSTALL_MIRROR") == 1  # unset for the install, said once
    # The plan said where the interpreter comes from, and the project's environment and
    # the bootstrapper's both run on it, under uv's managed directory.
    assert f"[python] install the pinned CPython {py_archive.version} from the cache bundle" in out
    done = out.split("[python] done", 1)[1].splitlines()[0]
    assert "managed, from the bundle" in done
    managed = Path(env["HOME"]) / ".local" / "share" / "uv" / "python"
    venv_python = tree / "examples" / "python-service" / ".venv" / "bin" / "python"
    assert base_prefix(venv_python).is_relative_to(managed)
    (tool,) = (Path(env["HOME"]) / ".local" / "share" / "bootstrap" / "tool").iterdir()
    assert base_prefix(tool / "bin" / "python").is_relative_to(managed)
    # A re-run converges: up to date, nothing installed again.
    again = subprocess.run(
        no_python(["sh", "./install.sh", "--cache-bundle", str(bundle), "--profile", "python-service"]),
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "up to date" in again.stdout + again.stderr


def test_no_python_and_a_bundle_without_one_is_refused_with_the_fix(
    tree: Path, tmp_path: Path, bundle: object
) -> None:
    from collections.abc import Callable

    assert callable(bundle)
    get: Callable[[str, str], Path] = bundle  # type: ignore[assignment]
    plain = get("python-service", "linux-x86_64-cpu")
    env = fresh_env(tmp_path, PATH=PATH)
    res = subprocess.run(
        no_python(["sh", "./install.sh", "--cache-bundle", str(plain), "--profile", "python-service"]),
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert res.returncode == 2, res.stdout + res.stderr
    assert "[bundle.no_python]" in res.stderr
    assert "--with-python" in res.stderr and "bootstrap python pin" in res.stderr
