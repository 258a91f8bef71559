"""A machine with no Python at all: the bundle carries the pinned interpreter, stage 0
installs uv and it (offline, with uv), and `bootstrap up` runs on it to the first run.

The interpreter is the Debian-built install_only archive (tests/support/pyarchive.py);
the "machine" is a mount namespace whose PATH and /usr/bin hold no python
(tests/support/nopython.py), with no network and a fresh HOME."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support import cli
from support.machine import fresh_env
from support.network import netns_available
from support.nopython import PATH, no_python
from support.pyarchive import PyArchive, write_pin

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
        no_python(
            ["sh", "./install.sh", "--cache-bundle", str(bundle), "--profile", "python-service"]
        ),
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
        no_python(
            ["sh", "./install.sh", "--cache-bundle", str(bundle), "--profile", "python-service"]
        ),
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
        no_python(
            ["sh", "./install.sh", "--cache-bundle", str(plain), "--profile", "python-service"]
        ),
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


# -- remote: the chrooted Debian box with python3 removed ----------------------------------


def _up(tree: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    # `-m` imports the package from the tree (the cwd): its pin is the one sent
    p = cli.bootstrap("up", *args, cwd=tree, env=env, timeout=600, merge=True)
    return p.returncode, p.stdout


def _host_env(tmp_path: Path, box: object) -> dict[str, str]:
    env = fresh_env(tmp_path / "host")
    env["BOOTSTRAP_HOME"] = str(tmp_path / "host" / "bootstrap-home")
    env.update(box.env())  # type: ignore[attr-defined]
    return env


@pytest.mark.remote
def test_remote_box_without_python_runs_offline_on_the_bundled_interpreter(
    tree: Path,
    tmp_path: Path,
    make_remote_box: object,
    py_archive: PyArchive,
    py_bundle: tuple[Path, Path],
) -> None:
    bundle, _ = py_bundle
    write_pin(tree / "bootstrap" / "python" / "pin.txt", py_archive)
    import shutil

    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox (to unpack the uv wheel on a box with no python3) is not installed")
    # No python3, but busybox: stage 0 unpacks the uv wheel with it.
    box = make_remote_box(without_python=True, extra_tools=[Path(busybox)])  # type: ignore[operator]
    env = _host_env(tmp_path, box)
    profile = tree / "profiles" / "python-service-remote.toml"
    profile.write_text(
        'extends = "python-service"\nname = "python-service-remote"\n\n'
        f'[strategies.remote]\nhosts = ["{box.alias}"]\n'  # type: ignore[attr-defined]
    )
    plan = subprocess.run(
        [__import__("sys").executable, "-m", "bootstrap", "plan", "--profile", str(profile),
         "--strategy", "remote", "--cache-bundle", str(bundle), "--json"],
        cwd=tree, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert plan.returncode == 0, plan.stderr
    import json

    (pre,) = [s for s in json.loads(plan.stdout)["steps"] if s["name"] == "preflight"]
    assert pre["bundle_python"] == py_archive.version
    assert f"else the bundle's pinned CPython {py_archive.version}" in pre["description"]
    code, out = _up(
        tree, env, "--profile", "python-service", "--remote", box.alias,
        "--cache-bundle", str(bundle),
    )  # fmt: skip
    assert code == 0, out
    assert f"no python3: stage 0 installs the bundle's pinned CPython {py_archive.version}" in out
    assert "service ok" in out and "[remotebox]" in out
    assert "already sent" in out  # the bundle went once, before detection
    remote_home = box.remote_home  # type: ignore[attr-defined]
    # The box got the project python-service names, not the bootstrapper's checkout.
    venv_cfg = (remote_home / "python-service" / ".venv" / "pyvenv.cfg").read_text()
    assert "/.local/share/uv/python/cpython-3.11" in venv_cfg, venv_cfg


@pytest.mark.remote
def test_remote_box_without_python_and_a_bundle_without_one_is_refused_with_the_fix(
    tree: Path, tmp_path: Path, make_remote_box: object, bundle: object
) -> None:
    plain = bundle("python-service", "linux-x86_64-cpu")  # type: ignore[operator]
    box = make_remote_box(without_python=True)  # type: ignore[operator]
    env = _host_env(tmp_path, box)
    code, out = _up(
        tree, env, "--profile", "python-service", "--remote", box.alias,
        "--cache-bundle", str(plain),
    )  # fmt: skip
    from bootstrap.errors import EXIT_TARGET_UNFIT

    assert code == EXIT_TARGET_UNFIT, out
    assert "no python3" in out and "--with-python" in out


@pytest.mark.parametrize(
    ("probe", "bundle_python", "codes"),
    [
        ({}, "", ["remote.no_python"]),
        ({}, "3.11.2", ["remote.no_unzip"]),
        ({"busybox": "1"}, "3.11.2", []),
        ({"unzip": "1"}, "3.11.2", []),
        ({"python": "3.11.2"}, "", []),
    ],
)
def test_preflight_rules_for_a_box_without_python(
    probe: dict[str, str], bundle_python: str, codes: list[str]
) -> None:
    from bootstrap.steps.handoff import unfit_reasons

    base = {
        "os": "Linux",
        "arch": "x86_64",
        "tar": "1",
        "sha256sum": "1",
        "libc": "ldd (Debian GLIBC 2.36-9) 2.36",
    }
    got = unfit_reasons({**base, **probe}, min_disk_gb=0, bundle_python=bundle_python)
    assert [c for c, _, _ in got] == codes
    if codes == ["remote.no_python"]:
        assert "--with-python" in got[0][2]


# -- WSL2: the stand-in distro without python3 --------------------------------------------


@pytest.mark.wsl2
def test_wsl2_distro_without_python_takes_the_same_route(
    tree: Path,
    tmp_path: Path,
    make_wsl_distro: object,
    py_archive: PyArchive,
    py_bundle: tuple[Path, Path],
) -> None:
    import shutil
    import sys

    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox (to unpack the uv wheel without python3) is not installed")
    hosts = Path(__file__).resolve().parents[1] / "fixtures" / "hosts" / "windows-wsl2"
    distro = make_wsl_distro(hosts, without_python=True, extra_tools=[Path(busybox)])  # type: ignore[operator]
    write_pin(tree / "bootstrap" / "python" / "pin.txt", py_archive)
    repo = distro.cdrive / "Users" / "dev" / "src" / "bootstrap"
    shutil.copytree(tree, repo)
    downloads = distro.cdrive / "Users" / "dev" / "Downloads"
    downloads.mkdir(parents=True)
    bundle = Path(shutil.copy2(py_bundle[0], downloads))
    env = fresh_env(tmp_path / "windows")
    env["BOOTSTRAP_HOME"] = str(tmp_path / "windows" / "bootstrap-home")
    env = distro.env(env)
    no_python = distro.wsl(
        "-d", "Ubuntu", "--", "sh", "-lc", "'command -v python3 || echo none'", env=env
    )
    assert no_python.stdout.decode(errors="replace").strip().endswith("none")
    p = subprocess.run(
        [sys.executable, "-m", "bootstrap", "up", "--replay", str(hosts), "--strategy", "wsl2",
         "--profile", "python-service", "--cache-bundle", str(bundle)],
        cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    assert p.returncode == 0, p.stdout
    assert f"stage 0 installs the bundle's pinned CPython {py_archive.version}" in p.stdout
    assert "service ok" in p.stdout and "[Ubuntu]" in p.stdout
    cfg = distro.home / "src" / "python-service" / ".venv" / "pyvenv.cfg"
    assert "/root/.local/share/uv/python/cpython-3.11" in cfg.read_text()


# -- `bootstrap up --cache-bundle` without stage 0 ------------------------------------------


def _up_here(tree: Path, env: dict[str, str], bundle: Path) -> subprocess.CompletedProcess[str]:
    import sys

    # No network but loopback (the service answers its own request there).
    argv = ["unshare", "-n", "sh", "-c", 'ip link set lo up 2>/dev/null; exec "$@"', "up"]
    argv += [sys.executable, "-m", "bootstrap", "up", "--profile", "python-service"]
    return subprocess.run(
        [*argv, "--cache-bundle", str(bundle)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_up_installs_the_bundled_interpreter_itself_and_refuses_a_changed_one(
    tree: Path, tmp_path: Path, py_archive: PyArchive, py_bundle: tuple[Path, Path]
) -> None:
    """Without stage 0 (`bootstrap up --cache-bundle` from some Python): the import step
    checks the interpreter against the pin and the python step has uv install it; a
    mirror variable is unset for that install and said once. A bundle whose interpreter
    has a changed byte stops at the import, before uv sees it."""
    bundle, _ = py_bundle
    write_pin(tree / "bootstrap" / "python" / "pin.txt", py_archive)
    env = fresh_env(tmp_path, UV_PYTHON_INSTALL_MIRROR="https://mirror.invalid/pbs")
    env["BOOTSTRAP_HOME"] = str(tmp_path / "bootstrap-home")
    res = _up_here(tree, env, bundle)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert out.count("UV_PYTHON_INSTALL_MIRROR unset for the interpreter's install") == 1
    assert "(CPython 3.11.2, managed, from the bundle, offline)" in out
    managed = Path(env["HOME"]) / ".local" / "share" / "uv" / "python"
    venv_python = tree / "examples" / "python-service" / ".venv" / "bin" / "python"
    assert base_prefix(venv_python).is_relative_to(managed)

    import hashlib
    import io
    import json
    import tarfile

    from bootstrap.cache.bundle import MANIFEST, SUMS, sums_text

    with tarfile.open(bundle) as tar:
        raw = {i.name: tar.extractfile(i).read() for i in tar.getmembers()}  # type: ignore[union-attr]
    (name,) = [n for n in raw if n.startswith("python/")]
    data = bytearray(raw[name])
    data[-200] ^= 0x01
    raw[name] = bytes(data)
    body = json.loads(raw.pop(MANIFEST))
    raw.pop(SUMS)
    body["members"] = {n: hashlib.sha256(d).hexdigest() for n, d in raw.items()}
    mbytes = (json.dumps(body, indent=2, sort_keys=True) + "\n").encode()
    sums = dict(body["members"], **{MANIFEST: hashlib.sha256(mbytes).hexdigest()})
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w", format=tarfile.PAX_FORMAT) as tar:
        for n, d in [(MANIFEST, mbytes), (SUMS, sums_text(sums)), *sorted(raw.items())]:
            info = tarfile.TarInfo(n)
            info.size = len(d)
            tar.addfile(info, io.BytesIO(d))
    other = tmp_path / "other"
    env2 = fresh_env(other)
    env2["BOOTSTRAP_HOME"] = str(other / "bootstrap-home")
    res = _up_here(copy_tree(other / "repo", tree), env2, bad)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "refused before uv sees it" in res.stdout + res.stderr
    assert not (Path(env2["HOME"]) / ".local" / "share" / "uv" / "python").exists()


def copy_tree(dest: Path, src: Path) -> Path:
    import shutil

    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return dest
