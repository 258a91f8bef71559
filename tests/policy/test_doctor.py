"""`bootstrap doctor` on a real machine state: a real older uv first on PATH, a real
environment synced by uv and then changed by hand, a real package in the user site.
Each is found, and nothing on disk changes (a hash of every tree it could touch)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import bootstrap
from support.projects import SPLIT_PROFILE, copy_project, tree_hash

pytestmark = pytest.mark.network  # the old uv and the packages come from PyPI once

OLD_UV = "0.4.30"
PY = f"{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.fixture
def world(tmp_path: Path, uv_bin: Path, _isolated_home: Path) -> dict[str, object]:
    """A synced copy of the split project, a fresh HOME, the pinned uv where stage 0 puts
    it, and an env whose PATH holds only the system's basics."""
    prof = copy_project("split", tmp_path, SPLIT_PROFILE)
    project = tmp_path / "project"
    home = tmp_path / "home"
    home.mkdir()
    pinned = uv_bin.parent
    shutil.copytree(pinned, _isolated_home / "data" / "uv" / pinned.name)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "BOOTSTRAP_HOME": str(_isolated_home),
        "BOOTSTRAP_NO_METRICS": "1",
        "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv"),
        "UV_SYSTEM_CERTS": "1",
    }
    run = {**env, "PATH": f"{uv_bin.parent}:/usr/bin:/bin"}
    subprocess.run(
        [str(uv_bin), "sync", "--frozen", "--extra", "cpu", "--project", str(project),
         "--python", sys.executable],
        check=True, env=run, capture_output=True, timeout=300,
    )  # fmt: skip
    return {"profile": prof, "project": project, "home": home, "env": env, "uv": uv_bin}


def doctor(world: dict[str, object], *args: str, path: str | None = None) -> dict[str, object]:
    env = dict(world["env"])  # type: ignore[call-overload]
    if path:
        env["PATH"] = f"{path}:{env['PATH']}"
    r = bootstrap("doctor", "--profile", str(world["profile"]), "--json", *args, env=env)
    assert r.returncode in (0, 1), r.stderr
    data = json.loads(r.stdout)
    assert data["ok"] is (r.returncode == 0)
    return data


def hashes(world: dict[str, object], home: Path) -> list[str]:
    roots = [Path(str(world["project"])), Path(str(world["home"])), home]
    return [tree_hash(r) for r in roots]


def checks(data: dict[str, object]) -> dict[str, dict[str, object]]:
    return {f["check"]: f for f in data["findings"]}  # type: ignore[attr-defined, index]


def test_a_clean_machine_has_nothing_wrong_in_under_a_second(
    world: dict[str, object], _isolated_home: Path
) -> None:
    before = hashes(world, _isolated_home)
    data = doctor(world)
    assert data["findings"] == []
    assert data["seconds"] < 1.0
    assert hashes(world, _isolated_home) == before


def test_an_older_uv_first_on_path(
    world: dict[str, object], tmp_path: Path, _isolated_home: Path
) -> None:
    old = tmp_path / "old-uv"
    subprocess.run(
        [str(world["uv"]), "pip", "install", "--target", str(old), f"uv=={OLD_UV}"],
        check=True, capture_output=True, timeout=300,
        env={**os.environ, "UV_SYSTEM_CERTS": "1"},
    )  # fmt: skip
    before = hashes(world, _isolated_home)
    data = doctor(world, path=str(old / "bin"))
    found = checks(data)["uv-on-path"]
    assert f"the uv first on PATH is {OLD_UV}, not the pinned 0.13.9" in str(found["message"])
    assert str(old / "bin" / "uv") in str(found["message"])
    assert hashes(world, _isolated_home) == before


def test_an_environment_changed_by_hand(world: dict[str, object], _isolated_home: Path) -> None:
    project = Path(str(world["project"]))
    subprocess.run(
        [str(world["uv"]), "pip", "uninstall", "--python",
         str(project / ".venv" / "bin" / "python"), "six"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    before = hashes(world, _isolated_home)
    found = checks(doctor(world))["venv-drift"]
    assert "does not match uv.lock (cpu variant)" in str(found["message"])
    assert found["fix"] == "bootstrap up --profile split --refresh"
    assert hashes(world, _isolated_home) == before


def test_a_user_site_package_that_leaks(world: dict[str, object], _isolated_home: Path) -> None:
    project = Path(str(world["project"]))
    cfg = project / ".venv" / "pyvenv.cfg"
    # An environment made with --system-site-packages sees the user site too.
    cfg.write_text(cfg.read_text().replace("include-system-site-packages = false",
                                           "include-system-site-packages = true"))  # fmt: skip
    base = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "-c",
         "import site; print(site.getusersitepackages())"],
        env={"HOME": str(world["home"])}, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    subprocess.run(
        [str(world["uv"]), "pip", "install", "--target", base, "iniconfig==2.0.0"],
        check=True, capture_output=True, timeout=300, env={**os.environ, "UV_SYSTEM_CERTS": "1"},
    )  # fmt: skip
    before = hashes(world, _isolated_home)
    leaks = [f for f in doctor(world)["findings"] if f["check"] == "leak"]  # type: ignore[index]
    user = [f for f in leaks if "the user site" in f["message"]]
    assert user, leaks
    assert "iniconfig" in user[0]["message"]
    assert hashes(world, _isolated_home) == before


def test_verify_names_a_file_changed_after_install(
    world: dict[str, object], _isolated_home: Path
) -> None:
    project = Path(str(world["project"]))
    assert doctor(world, "--verify")["findings"] == []
    six = next((project / ".venv").glob("lib/python*/site-packages/six.py"))
    # A new file in its place: uv hardlinks from its cache, and an in-place write would
    # change the cache's copy too.
    changed = six.with_name("six.py.new")
    changed.write_text(six.read_text() + "\n# changed after install\n")
    changed.replace(six)
    before = hashes(world, _isolated_home)
    found = checks(doctor(world, "--verify"))["verify"]
    assert str(found["message"]).startswith("six-1.17.0: 1 file(s) changed")
    assert found["details"] == ["changed: six.py"]
    assert hashes(world, _isolated_home) == before


def test_a_lock_that_no_longer_satisfies_pyproject(
    world: dict[str, object], _isolated_home: Path
) -> None:
    project = Path(str(world["project"]))
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("dependencies = [", 'dependencies = [\n  "idna>=3",', 1)
    )
    before = hashes(world, _isolated_home)
    found = checks(doctor(world))["lock-outdated"]
    assert "no longer satisfies" in str(found["message"])
    assert "uv lock" in str(found["fix"])
    assert hashes(world, _isolated_home) == before
