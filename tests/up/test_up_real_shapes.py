"""Projects in real shapes (tests/support/realshapes.py) from a cache bundle, on a fresh HOME
with no network, through `install.sh --project DIR --cache-bundle F` to their own
tests: the project itself is installed as `uv sync` installs it (editable, with its
metadata and entry points; workspace members likewise), its build backend comes from
the bundle and is checked against the repository's `pylock.build.toml`, and `uv sync
--frozen --check` with the plan's selection agrees with `up` afterwards.

The projects are locked and packed online once (`uv lock`, `bootstrap lock --project`,
`bootstrap cache pack --project`) and kept in pytest's cache, keyed by everything that
decides their contents, so later runs need no network."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from support import realshapes
from support.machine import fresh_env
from support.network import netns_available

from bootstrap.plan.model import LockChoice

REPO = Path(__file__).resolve().parents[2]
OFFLINE = 'ip link set lo up 2>/dev/null || true; exec "$@"'


def _manifest(bundle: Path) -> dict[str, object]:
    with tarfile.open(bundle) as tar:
        f = tar.extractfile("manifest.json")
        assert f is not None
        data: dict[str, object] = json.loads(f.read())
    return data


def _install(
    tree: Path, project: Path, bundle: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["unshare", "-n", "sh", "-c", OFFLINE, "stage0", "sh", "./install.sh",
         "--project", str(project), "--cache-bundle", str(bundle)],
        cwd=tree, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here")
@pytest.mark.parametrize("name", sorted(realshapes.SHAPES))
def test_a_real_shape_reaches_its_tests_offline_from_a_bundle(
    name: str, shape: Callable[[str], tuple[Path, Path]], tree: Path, tmp_path: Path
) -> None:
    template, bundle = shape(name)
    manifest = _manifest(bundle)
    # `cache pack --project DIR` used the profile the project keeps, and the bundle names
    # it by name (never the packer's path); the build backend came along as its own part.
    assert manifest["profile"] == name
    parts = manifest["parts"]
    assert isinstance(parts, dict)
    backends = {Path(f).name.split("-")[0] for f in parts["build"]}
    assert ("hatchling" in backends) and (("setuptools" in backends) == (name == "flatws"))
    project = tmp_path / f"{name}-checkout"  # not the profile's name: the lines name that
    shutil.copytree(template, project)
    env = fresh_env(tmp_path / "machine")
    assert "PYTHONPATH" not in env

    res = _install(tree, project, bundle, env)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert realshapes.PASSED[name] in out, out  # every test of the project, none deselected
    assert "FAILED" not in out and "deselected" not in out and "skipped" not in out
    # The [sync] line shows what runs: the wheelhouse's commands, not `uv sync`.
    assert "[sync] uv venv, then uv pip sync --offline --no-index --require-hashes" in out
    assert "from the wheelhouse" in out

    # The hint to put uv on PATH works from the project's directory (any directory).
    hint = next(ln for ln in res.stdout.splitlines() if "to type `uv` and `bootstrap`" in ln)
    command = hint.split("by name: ", 1)[1].split(" (adds ", 1)[0]
    added = subprocess.run(
        ["unshare", "-n", "sh", "-c", command],
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert added.returncode == 0, command + "\n" + added.stdout + added.stderr
    assert "bootstrap/env" in (Path(env["HOME"]) / ".profile").read_text()

    # uv agrees with `up`: the environment is what `uv sync` makes of the lock with the
    # plan's selection.
    planned = subprocess.run(
        [sys.executable, "-m", "bootstrap", "plan", "--project", str(project), "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    flags = LockChoice.from_dict(json.loads(planned.stdout)["lock"]).uv_flags()
    uv = next((Path(env["HOME"]) / ".local/share/bootstrap/uv").glob("*/uv"))
    checked = subprocess.run(
        ["unshare", "-n", str(uv), "sync", "--frozen", "--offline", "--check", *flags],
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Would make no changes" in checked.stderr

    # On the new machine the bundle verifies from the project, by the profile's name.
    tool_python = next((Path(env["HOME"]) / ".local/share/bootstrap/tool").glob("*/bin/python"))
    verified = subprocess.run(
        ["unshare", "-n", str(tool_python), "-m", "bootstrap", "cache", "verify", str(bundle)],
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"profile {name}" in verified.stdout

    # A re-run is a no-op that names the profile, and is recorded as one.
    again = _install(tree, project, bundle, env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"up to date: profile {name!r}" in again.stderr

    # The environment deleted, a run without the bundle: the wheelhouse the bundle filled
    # is the offline source, and the plan's sync line says so before it runs.
    shutil.rmtree(project / ".venv")
    resync = subprocess.run(
        ["unshare", "-n", "sh", "./install.sh", "--project", str(project)],
        cwd=tree, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert resync.returncode == 0, resync.stdout + resync.stderr
    said = resync.stdout + resync.stderr
    sync_lines = [ln for ln in said.splitlines() if ln.startswith("[sync]")]
    assert any("uv pip sync --offline --no-index --require-hashes" in ln for ln in sync_lines), said
    assert not any("uv sync --frozen" in ln for ln in sync_lines), said
    rechecked = subprocess.run(
        ["unshare", "-n", str(uv), "sync", "--frozen", "--offline", "--check", *flags],
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert rechecked.returncode == 0, rechecked.stdout + rechecked.stderr
    history = Path(env["HOME"]) / ".local/state/bootstrap/history.jsonl"
    kinds = [json.loads(line)["run_kind"] for line in history.read_text().splitlines()]
    assert kinds == ["first", "noop", "resync"]


def _injected(wheel: bytes, module: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(wheel)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == module:
                data = b"raise SystemExit('injected')\n" + data
            dst.writestr(item, data)
    return out.getvalue()


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here")
def test_a_tampered_build_backend_wheel_is_refused(
    shape: Callable[[str], tuple[Path, Path]], tree: Path, tmp_path: Path
) -> None:
    template, bundle = shape("srcapp")
    with tarfile.open(bundle) as tar:
        raw = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    (name,) = [n for n in raw if n.startswith("wheels/hatchling-")]
    raw[name] = _injected(raw[name], "hatchling/build.py")
    # Resealed: SHA256SUMS and the manifest agree with the tampered bytes.
    raw.pop("SHA256SUMS")
    manifest = json.loads(raw.pop("manifest.json"))
    manifest["members"] = {n: hashlib.sha256(d).hexdigest() for n, d in raw.items()}
    manifest["unpacked_size"] = sum(len(d) for d in raw.values())
    mbytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    sums = dict(manifest["members"], **{"manifest.json": hashlib.sha256(mbytes).hexdigest()})
    body = "".join(f"{d}  {n}\n" for n, d in sorted(sums.items())).encode()
    bad = tmp_path / "tampered.tar"
    with tarfile.open(bad, "w", format=tarfile.PAX_FORMAT) as tar:
        for member, data in [("manifest.json", mbytes), ("SHA256SUMS", body), *sorted(raw.items())]:
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

    project = tmp_path / "srcapp"
    shutil.copytree(template, project)
    env = fresh_env(tmp_path / "machine")
    res = _install(tree, project, bad, env)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "hatchling" in res.stderr and "pylock.build.toml" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    site = list(project.glob(".venv/lib/python*/site-packages"))
    assert not site or not list(site[0].glob("srcapp*"))


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here")
def test_online_and_offline_from_uvs_cache_install_the_project_too(
    shape: Callable[[str], tuple[Path, Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other two sync paths: `uv sync` online, then (environment deleted) offline from
    the uv cache that sync filled, backend included."""
    import os

    from bootstrap.uv.install import MARKER

    running = os.environ.get("UV")
    source = Path(running).parent if running else None
    if source is None or not (source / MARKER).is_file():
        pytest.skip("the suite is not running under an install.sh-installed uv (no marker)")
    home = tmp_path / "bootstrap-home"
    shutil.copytree(source, home / "data" / "uv" / source.name)
    template, _bundle = shape("srcapp")
    project = tmp_path / "srcapp"
    shutil.copytree(template, project)
    env = {**os.environ, "BOOTSTRAP_HOME": str(home), "BOOTSTRAP_NO_METRICS": "1", "CI": "1"}
    env["UV_CACHE_DIR"] = str(tmp_path / "uv-cache")
    up = [sys.executable, "-m", "bootstrap", "up", "--project", str(project)]
    online = subprocess.run(
        [*up, "--online"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert online.returncode == 0, online.stdout + online.stderr
    assert "5 passed" in online.stdout and "(from the index)" in online.stdout
    shutil.rmtree(project / ".venv")
    offline = subprocess.run(
        ["unshare", "-n", *up], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert "offline, from uv's cache" in offline.stdout
    # The first run succeeded before with these inputs, so `up` skips it: run the tests.
    tests = subprocess.run(
        ["unshare", "-n", str(project / ".venv/bin/python"), "-m", "pytest", "-q", "-p",
         "no:cacheprovider"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert tests.returncode == 0 and "5 passed" in tests.stdout, tests.stdout + tests.stderr
    uv = source / "uv"
    checked = subprocess.run(
        ["unshare", "-n", str(uv), "sync", "--frozen", "--offline", "--check", "--group", "tests"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
