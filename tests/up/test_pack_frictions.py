"""What packing got wrong on real projects, each with the run that shows it fixed:

* `cache pack --project DIR` uses the profile the project keeps, as `up --project DIR`
  does; `--profile NAME --project DIR` uses the named profile for that project;
* a wheel locked by path without a hash is refused at pack time, naming it and the fix;
* a failed pack keeps uv's cause (every `cause:` line), never lets uv download a Python
  it was not asked to, and with no network exits 10 with one line;
* the Python-mismatch fix names this machine's profile (the project directory), not the
  packer's path;
* offline without a bundle, stage 0's error names `--cache-bundle`;
* `bootstrap lock --check` notices a build lock that no longer matches.

Packs that need no index run with no network at all (`unshare -n`), with a stand-in uv
artifact pinned by `--uv-artifact FILE --uv-sha256 HEX` (pack only checks and copies it).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from support import cli
from support.machine import fresh_env
from support.network import netns_available

REPO = Path(__file__).resolve().parents[2]
UV_WHEEL = "uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
needs_netns = pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available")


def _bootstrap(
    *args: str, cwd: Path, env: dict[str, str] | None = None, offline: bool = False
) -> subprocess.CompletedProcess[str]:
    return cli.bootstrap(*args, cwd=cwd, env=env or _env(), offline=offline, timeout=600)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV",)}


def _stand_in_uv(tmp_path: Path) -> list[str]:
    artifact = tmp_path / "uv-artifact" / UV_WHEEL
    artifact.parent.mkdir(parents=True, exist_ok=True)
    artifact.write_bytes(b"a stand-in for the pinned uv wheel\n")
    digest = hashlib.sha256(artifact.read_bytes()).hexdigest()
    return ["--uv-artifact", str(artifact), "--uv-sha256", digest]


def _project(root: Path, pyproject: str, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(pyproject)
    for rel, text in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _lock(uv_bin: Path, project: Path) -> None:
    res = subprocess.run(
        ["unshare", "-n", str(uv_bin), "lock", "--offline", "--project", str(project)],
        env=_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr


def _one_error(stderr: str) -> str:
    # Not a crash of the tool (a build backend's own traceback may be part of uv's cause).
    assert not any(ln.startswith("Traceback") for ln in stderr.splitlines()), stderr
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, stderr
    return errors[0]


@needs_netns
def test_a_wheel_locked_by_path_without_a_hash_is_refused_at_pack_time(
    uv_bin: Path, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheelsrc"
    wheels.mkdir()
    # A real wheel, made here: what a team builds locally (a patched torch, say).
    wheel = wheels / "localwheel-1.0-py3-none-any.whl"
    import zipfile

    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("localwheel/__init__.py", "")
        zf.writestr(
            "localwheel-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: localwheel\nVersion: 1.0\n",
        )
        zf.writestr(
            "localwheel-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        zf.writestr("localwheel-1.0.dist-info/RECORD", "")
    project = _project(
        tmp_path / "pathwheel",
        '[project]\nname = "pathwheel"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["localwheel"]\n\n[tool.uv]\npackage = false\n'
        f'find-links = ["{wheels}"]\nno-index = true\n',
    )
    _lock(uv_bin, project)
    # uv records the file by path, with no hash: nothing vouches for its bytes.
    assert f'{{ path = "{wheel}" }}' in (project / "uv.lock").read_text()
    res = _bootstrap(
        "cache", "pack", "--project", str(project), "--no-tool", "--uv", str(uv_bin),
        "--out", str(tmp_path / "b.tar"), *_stand_in_uv(tmp_path), cwd=tmp_path, offline=True,
    )  # fmt: skip
    assert res.returncode == 2, res.stdout + res.stderr
    error = _one_error(res.stderr)
    assert "localwheel==1.0 is locked by path without a hash" in error
    assert "#sha256=" in res.stderr and "uv lock" in res.stderr  # the fix
    assert not (tmp_path / "b.tar").exists()


BROKEN_BACKEND = """\
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise RuntimeError("the real cause: this package needs a C compiler")


def build_sdist(sdist_directory, config_settings=None):
    raise RuntimeError("no sdist either")
"""


@needs_netns
def test_a_failed_pack_keeps_the_cause(uv_bin: Path, tmp_path: Path) -> None:
    project = _project(
        tmp_path / "withbroken",
        '[project]\nname = "withbroken"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["broken"]\n\n[tool.uv]\npackage = false\n\n'
        '[tool.uv.sources]\nbroken = { path = "broken" }\n',
        {
            "broken/pyproject.toml": '[project]\nname = "broken"\nversion = "1.0"\n\n'
            '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
            "broken/backend.py": BROKEN_BACKEND,
        },
    )
    _lock(uv_bin, project)
    res = _bootstrap(
        "cache", "pack", "--project", str(project), "--no-tool", "--uv", str(uv_bin),
        "--out", str(tmp_path / "b.tar"), *_stand_in_uv(tmp_path), cwd=tmp_path, offline=True,
    )  # fmt: skip
    assert res.returncode == 1, res.stdout + res.stderr
    error = _one_error(res.stderr)
    # uv's own error and its causes, down to the backend's message: not just the tail.
    assert "Failed to build `broken" in error
    assert "the real cause: this package needs a C compiler" in error


@needs_netns
def test_pack_never_downloads_a_python_it_was_not_asked_for(uv_bin: Path, tmp_path: Path) -> None:
    project = _project(
        tmp_path / "plain",
        '[project]\nname = "plain"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        "dependencies = []\n\n[tool.uv]\npackage = false\n",
    )
    _lock(uv_bin, project)
    # No network: had uv tried to download Python 3.13, this would be a DNS error.
    res = _bootstrap(
        "cache", "pack", "--project", str(project), "--no-tool", "--uv", str(uv_bin),
        "--python", "3.13", "--out", str(tmp_path / "b.tar"), *_stand_in_uv(tmp_path),
        cwd=tmp_path, offline=True,
    )  # fmt: skip
    assert res.returncode == 2, res.stdout + res.stderr
    error = _one_error(res.stderr)
    assert "packing needs Python 3.13 on this machine" in error
    assert "dns" not in res.stderr.lower()
    assert "--python-downloads" in res.stderr


@needs_netns
@pytest.mark.parametrize("uv_artifact", [False, True], ids=["uv-from-index", "uv-given"])
def test_pack_with_no_network_exits_10(uv_bin: Path, tmp_path: Path, uv_artifact: bool) -> None:
    project = _project(
        tmp_path / "needsindex",
        '[project]\nname = "needsindex"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["six"]\n\n[tool.uv]\npackage = false\n',
    )
    (project / "uv.lock").write_text((REPO / "tests/cache/projects/tiny/uv.lock").read_text())
    shutil.copy(REPO / "tests/cache/projects/tiny/pyproject.toml", project / "pyproject.toml")
    given = _stand_in_uv(tmp_path) if uv_artifact else []
    # No retries: a lookup that cannot succeed need not be tried three times.
    env = dict(_env(), UV_CACHE_DIR=str(tmp_path / "empty-cache"), UV_HTTP_RETRIES="0")
    res = _bootstrap(
        "cache", "pack", "--project", str(project), "--no-tool", "--uv", str(uv_bin),
        "--out", str(tmp_path / "b.tar"), *given, cwd=tmp_path, env=env, offline=True,
    )  # fmt: skip
    assert res.returncode == 10, res.stdout + res.stderr
    error = _one_error(res.stderr)
    assert "packing needs" in error


@needs_netns
def test_offline_without_a_bundle_stage0_names_the_cache_bundle(tree: Path, tmp_path: Path) -> None:
    env = fresh_env(tmp_path / "machine")
    res = subprocess.run(
        ["unshare", "-n", "sh", "./install.sh"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert res.returncode != 0
    assert "--cache-bundle FILE" in res.stderr, res.stderr


def _manifest(bundle: Path) -> dict[str, object]:
    with tarfile.open(bundle) as tar:
        f = tar.extractfile("manifest.json")
        assert f is not None
        data: dict[str, object] = json.loads(f.read())
    return data


def _uv_member(bundle: Path, dest: Path) -> Path:
    with tarfile.open(bundle) as tar:
        (member,) = [m for m in tar.getmembers() if m.name.startswith("uv/")]
        f = tar.extractfile(member)
        assert f is not None
        dest.mkdir(parents=True, exist_ok=True)
        out = dest / member.name.split("/", 1)[1]
        out.write_bytes(f.read())
    return out


@pytest.mark.network
@pytest.mark.slow
def test_pack_project_uses_the_profile_it_keeps_and_profile_name_for_that_project(
    shape: Callable[[str], tuple[Path, Path]], uv_bin: Path, tmp_path: Path
) -> None:
    template, bundle = shape("srcapp")
    project = tmp_path / "srcapp"
    shutil.copytree(template, project)
    artifact = _uv_member(bundle, tmp_path / "uv")
    common = ["--no-tool", "--uv", str(uv_bin), "--uv-artifact", str(artifact)]
    packed = {}
    for label, how in (
        ("kept", ["--project", str(project)]),
        ("named", ["--profile", "srcapp", "--project", str(project)]),
        ("other", ["--profile", "python-service", "--project", str(project)]),
    ):
        out = tmp_path / f"{label}.tar"
        res = _bootstrap("cache", "pack", *how, *common, "--out", str(out), cwd=tmp_path)
        assert res.returncode == 0, res.stdout + res.stderr
        packed[label] = _manifest(out)
    for label in ("kept", "named"):
        m = packed[label]
        # The project's own selection (its tests group only), never a path.
        assert m["profile"] == "srcapp" and m["groups"] == ["tests"], m
        parts = m["parts"]
        assert isinstance(parts, dict)
        assert any(f.startswith("pytest-") for f in parts["project"])
        assert any(f.startswith("hatchling-") for f in parts["build"])
    other = packed["other"]
    assert other["profile"] == "python-service" and other["groups"] == [], other
    parts = other["parts"]
    assert isinstance(parts, dict)
    assert not any(f.startswith("pytest-") for f in parts["project"])


@pytest.mark.network
@pytest.mark.slow
def test_the_python_mismatch_fix_names_this_machines_project(
    shape: Callable[[str], tuple[Path, Path]], tree: Path, tmp_path: Path
) -> None:
    template, bundle = shape("srcapp")
    project = tmp_path / "srcapp"
    shutil.copytree(template, project)
    with tarfile.open(bundle) as tar:
        raw = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    manifest = json.loads(raw.pop("manifest.json"))
    raw.pop("SHA256SUMS")
    manifest["pythons"] = ["3.99"]
    mbytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    sums = dict(manifest["members"], **{"manifest.json": hashlib.sha256(mbytes).hexdigest()})
    body = "".join(f"{d}  {n}\n" for n, d in sorted(sums.items())).encode()
    other = tmp_path / "py399.tar"
    with tarfile.open(other, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in [("manifest.json", mbytes), ("SHA256SUMS", body), *sorted(raw.items())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    env = dict(_env(), BOOTSTRAP_HOME=str(tmp_path / "home"), BOOTSTRAP_NO_METRICS="1")
    res = _bootstrap(
        "up", "--project", str(project), "--cache-bundle", str(other), cwd=tmp_path, env=env,
        offline=True,
    )  # fmt: skip
    assert res.returncode == 2, res.stdout + res.stderr
    assert "the bundle's wheels serve Python 3.99" in res.stderr
    fix = next(ln for ln in res.stderr.splitlines() if ln.strip().startswith("fix:"))
    assert f"bootstrap cache pack --project {project} " in fix, fix
    assert "--python 3.99,3." in fix
    # Stage 0 finds the mismatch first when it sets up the bootstrapper: the same fix.
    machine = fresh_env(tmp_path / "machine")
    staged = subprocess.run(
        ["unshare", "-n", "sh", "./install.sh", "--project", str(project), "--cache-bundle",
         str(other)],
        cwd=tree, env=machine, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert staged.returncode == 2, staged.stdout + staged.stderr
    assert f"bootstrap cache pack --project '{project}' --target" in staged.stderr


@pytest.mark.network
@pytest.mark.slow
def test_lock_check_notices_a_build_lock_that_no_longer_matches(
    shape: Callable[[str], tuple[Path, Path]], uv_bin: Path, tmp_path: Path
) -> None:
    template, _bundle = shape("srcapp")
    project = tmp_path / "srcapp"
    shutil.copytree(template, project)
    args = ["--project", str(project), "--uv", str(uv_bin)]
    # (The same files pass `bootstrap check` (b): the test below.)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'requires = ["hatchling"]', 'requires = ["hatchling", "tomli-w"]'
        )
    )
    drift = _bootstrap("lock", *args, "--check", cwd=tmp_path)
    assert drift.returncode == 1, drift.stdout + drift.stderr
    assert "drift: pylock.build.toml (build, changed)" in drift.stdout
    assert "tomli-w" in drift.stdout


@pytest.mark.network
@pytest.mark.slow
def test_pack_project_with_explicit_groups_can_leave_out_the_default_groups(
    shape: Callable[[str], tuple[Path, Path]], uv_bin: Path, tmp_path: Path
) -> None:
    """click's shape (tests/fixtures/teamrepo: dev, pre-commit, tests and typing synced by
    default): `--group tests --no-default-groups` packs the tests group alone."""
    _template, bundle = shape("srcapp")
    artifact = _uv_member(bundle, tmp_path / "uv")
    project = tmp_path / "teamrepo"
    shutil.copytree(REPO / "tests" / "fixtures" / "teamrepo", project)
    out = tmp_path / "tests-only.tar"
    res = _bootstrap(
        "cache", "pack", "--project", str(project), "--group", "tests", "--no-default-groups",
        "--no-tool", "--uv", str(uv_bin), "--uv-artifact", str(artifact), "--out", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    parts = _manifest(out)["parts"]
    assert isinstance(parts, dict)
    names = {Path(f).name.split("-")[0].lower().replace("_", "-") for f in parts["project"]}
    assert names == {"iniconfig", "packaging", "pluggy", "pygments", "pytest"}


@pytest.mark.network
@pytest.mark.slow
def test_check_b_verifies_the_build_lock_without_per_target_locks(
    shape: Callable[[str], tuple[Path, Path]], uv_bin: Path, tmp_path: Path
) -> None:
    template, _bundle = shape("srcapp")
    project = tmp_path / "srcapp"
    shutil.copytree(template, project)
    for per_target in project.glob("pylock.*-*.toml"):
        per_target.unlink()  # the profile declares none: only the build lock is checked
    args = ["check", "--profile", str(project / "bootstrap.toml"), "--only", "b", "--json"]
    args += ["--root", str(project), "--uv", str(uv_bin)]
    ok = _bootstrap(*args, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    (project / "pylock.build.toml").write_text(
        (project / "pylock.build.toml").read_text().replace('name = "editables"', 'name = "x"')
    )
    bad = _bootstrap(*args, cwd=tmp_path)
    assert bad.returncode != 0, bad.stdout + bad.stderr
    found = json.dumps(json.loads(bad.stdout))
    assert "build: changed" in found and "pylock.build.toml" in found
