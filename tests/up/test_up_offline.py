"""`bootstrap up` end to end, from a machine that never had network.

Each test starts from a copy of the repository, a fresh HOME with no uv and no cache,
and runs stage 0 (`install.sh --cache-bundle FILE`) inside `unshare -n` with only the
loopback interface up (the example service answers one request on 127.0.0.1).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from support.machine import fresh_env
from support.network import netns_available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here"),
]

HOST_CPU = "linux-x86_64-cpu"


def offline(tree: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    """``argv`` in ``tree`` with no network but loopback (the service answers itself)."""
    script = 'ip link set lo up 2>/dev/null || true; exec "$@"'
    return subprocess.run(
        ["unshare", "-n", "sh", "-c", script, "offline", *argv],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def stage0_offline(tree: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return offline(tree, env, "sh", "./install.sh", *args)


def with_bundle(
    tree: Path, machine: Path, bundle: Path, profile: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """`install.sh --cache-bundle BUNDLE --profile PROFILE` on a fresh machine, offline."""
    fresh = fresh_env(machine, **env)
    return stage0_offline(tree, fresh, "--cache-bundle", str(bundle), "--profile", profile), fresh


def history(env: dict[str, str]) -> list[dict[str, object]]:
    path = Path(env["HOME"]) / ".local" / "state" / "bootstrap" / "history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


LIST_DISTS = (
    "import importlib.metadata as m\n"
    "print('\\n'.join(d.metadata['Name'].lower() for d in m.distributions()))"
)


def installed(venv: Path) -> set[str]:
    out = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            LIST_DISTS,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


@pytest.fixture(autouse=True)
def _host_is_x86_64_linux() -> None:
    import platform

    if platform.system() != "Linux" or platform.machine() != "x86_64":
        pytest.skip("the packed bundles are for linux-x86_64")


def test_bundle_takes_a_bare_machine_to_a_timed_first_run(
    tree: Path, tmp_path: Path, bundle: Callable[[str, str], Path]
) -> None:
    res, env = with_bundle(
        tree, tmp_path / "machine", bundle("python-service", HOST_CPU), "python-service"
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "service ok on port" in res.stdout
    (report,) = history(env)
    assert report["outcome"] == "success"
    assert report["total_from"] == "stage0"  # the clock started in install.sh
    assert report["bundle_used"] is True and report["network_used"] is False
    phases = report["phases"]
    assert isinstance(phases, dict) and set(phases) >= {"detect", "plan", "sync", "first_run"}
    # total spans stage 0 (importing the bundle, installing uv, the tool's own
    # environment): those are phases too, and all of them add up to total (within 5 %).
    assert {"stage0_bundle", "stage0_uv", "stage0_tool_env", "startup"} <= set(phases)
    total = float(report["total_seconds"])
    assert abs(sum(float(v) for v in phases.values() if v) - total) <= 0.05 * total, phases
    assert report["run_kind"] == "first" and report["time_to_first_run_seconds"] == total
    assert {"bottle", "itsdangerous"} <= installed(tree / "examples" / "python-service" / ".venv")

    # A re-run with the same bundle (still offline) is a no-op like any other.
    again = stage0_offline(
        tree,
        env,
        "--cache-bundle",
        str(bundle("python-service", HOST_CPU)),
        "--profile",
        "python-service",
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "up to date" in again.stderr


@pytest.mark.parametrize(
    ("driver", "target", "want", "absent"),
    [
        ("", HOST_CPU, set(), {"nvidia-cuda-runtime-cu12", "nvidia-cuda-runtime"}),
        ("550.54", "linux-x86_64-cu124", {"nvidia-cuda-runtime-cu12"}, {"nvidia-cuda-runtime"}),
    ],
    ids=["cpu", "cuda-550"],
)
def test_ai_variants_install_what_the_driver_supports(  # noqa: PLR0917 - pytest parameters
    tree: Path,
    tmp_path: Path,
    bundle: Callable[[str, str], Path],
    driver: str,
    target: str,
    want: set[str],
    absent: set[str],
) -> None:
    res, env = with_bundle(
        tree,
        tmp_path / "machine",
        bundle("ai-training", target),
        "ai-training",
        BOOTSTRAP_CUDA_DRIVER=driver,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    (report,) = history(env)
    assert report["target"] == target
    have = installed(tree / "examples" / "ai-training" / ".venv")
    assert "tqdm" in have
    assert want <= have
    assert not (absent & have)
    if want:
        version = subprocess.run(
            [
                str(tree / "examples" / "ai-training" / ".venv" / "bin" / "python"),
                "-c",
                "import importlib.metadata as m; print(m.version('nvidia-cuda-runtime-cu12'))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert version.startswith("12.4.")


def test_bundle_for_another_variant_is_refused(
    tree: Path, tmp_path: Path, bundle: Callable[[str, str], Path]
) -> None:
    # A CPU bundle on a host whose driver calls for the CUDA 12.4 variant.
    res, _ = with_bundle(
        tree,
        tmp_path / "machine",
        bundle("ai-training", HOST_CPU),
        "ai-training",
        BOOTSTRAP_CUDA_DRIVER="550.54",
    )
    assert res.returncode == 2, res.stdout + res.stderr
    assert "bundle is for linux-x86_64-cpu, this plan needs linux-x86_64-cu124" in res.stderr
    assert not (tree / "examples" / "ai-training" / ".venv").exists()


def test_a_bundle_for_another_project_is_refused_naming_the_file(
    tree: Path, tmp_path: Path, bundle: Callable[[str, str], Path]
) -> None:
    # The python-service bundle has the same target key as ai-training's CPU variant, but
    # its files are not in ai-training's lock: refused before any reaches the environment.
    res, env = with_bundle(
        tree,
        tmp_path / "machine",
        bundle("python-service", HOST_CPU),
        "ai-training",
        BOOTSTRAP_CUDA_DRIVER="",
    )
    assert res.returncode == 2, res.stdout + res.stderr
    assert "is not in the lock" in res.stderr and "ai-training/uv.lock" in res.stderr
    (report,) = history(env)
    assert report["outcome"] == "failure" and report["error_code"] == "bundle.not_locked"
    assert not (tree / "examples" / "ai-training" / ".venv").exists()


def test_a_changed_project_wheel_is_refused_by_up_and_never_runs(
    tree: Path, tmp_path: Path, bundle: Callable[[str, str], Path]
) -> None:
    """Stage 0 takes only the bootstrapper's wheels; `bootstrap up` checks the project's
    against the project's lock: a bottle with one injected line is refused there."""

    sys_path = str(Path(__file__).resolve().parents[1] / "cache")
    import sys

    sys.path.insert(0, sys_path)
    from test_bundle import injected_wheel, members, resealed

    raw = members(bundle("python-service", HOST_CPU))
    (name,) = [n for n in raw if n.startswith("wheels/bottle-")]
    marker = tmp_path / "INJECTED"
    raw[name] = injected_wheel(raw[name], "bottle.py", marker)
    bad = resealed(tmp_path / "bad.tar", raw)
    res, _ = with_bundle(tree, tmp_path / "machine", bad, "python-service")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "bottle-" in res.stderr and "does not match" in res.stderr
    assert not marker.exists()
    assert not (tree / "examples" / "python-service" / ".venv").exists()


def test_up_without_stage0_takes_uv_from_the_bundle(
    tree: Path, tmp_path: Path, bundle: Callable[[str, str], Path]
) -> None:
    """Stage 0 once (the bootstrapper's environment), then uv deleted: `bootstrap up
    --cache-bundle FILE` installs uv from the bundle, offline."""
    res, env = with_bundle(
        tree, tmp_path / "machine", bundle("python-service", HOST_CPU), "python-service"
    )
    assert res.returncode == 0, res.stdout + res.stderr
    data = Path(env["HOME"]) / ".local" / "share" / "bootstrap"
    import shutil

    shutil.rmtree(data / "uv")
    shutil.rmtree(tree / "examples" / "python-service" / ".venv")
    (tool,) = (data / "tool").iterdir()
    argv = [str(tool / "bin" / "python"), "-m", "bootstrap", "up", "--profile", "python-service"]
    argv += ["--cache-bundle", str(bundle("python-service", HOST_CPU)), "--refresh"]
    again = offline(tree, env, *argv)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "installed uv" in again.stdout + again.stderr
    assert "service ok on port" in again.stdout


def test_corrupt_bundle_is_refused_and_installs_nothing(tree: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.tar"
    bad.write_bytes(b"not a tar at all" * 100)
    res, _ = with_bundle(tree, tmp_path / "machine", bad, "python-service")
    assert res.returncode != 0
    assert "bundle" in res.stderr.lower()
    assert not (tree / "examples" / "python-service" / ".venv").exists()


def test_up_refuses_every_hostile_bundle_before_anything_lands(
    tree: Path, tmp_path: Path, bundle: Callable[[str, str], Path]
) -> None:
    """The hostile-bundle matrix through `bootstrap up --cache-bundle` itself (stage 0
    set up the bootstrapper once from the good bundle): links, devices, fifos, absolute
    and `..` paths, a changed project wheel, another Python, another target, format 1 and
    a gzip. Each: exit 2, one line naming what is wrong, no environment, no new file in
    the wheelhouse, the injected code never run, nothing outside."""
    import shutil
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cache"))
    from test_bundle import HOSTILE, injected_wheel, members, resealed

    good = bundle("python-service", HOST_CPU)
    res, env = with_bundle(tree, tmp_path / "machine", good, "python-service")
    assert res.returncode == 0, res.stdout + res.stderr
    data = Path(env["HOME"]) / ".local" / "share" / "bootstrap"
    shutil.rmtree(tree / "examples" / "python-service" / ".venv")
    shutil.rmtree(data / "wheels")  # what the good bundle put there (stage 0 and up)
    (tool,) = (data / "tool").iterdir()

    raw = members(good)
    (bottle,) = [n for n in raw if n.startswith("wheels/bottle-")]
    marker = tmp_path / "INJECTED"
    import io
    import tarfile

    bomb = tmp_path / "bomb.tar"
    with tarfile.open(bomb, "w:gz") as tar:
        info = tarfile.TarInfo("wheels/zeros-1.0-py3-none-any.whl")
        info.size = 64 << 20
        tar.addfile(info, io.BytesIO(bytes(info.size)))
    cases = {
        **{c: (resealed(tmp_path / f"{c}.tar", raw, HOSTILE[c]), "") for c in HOSTILE},
        "tampered": (
            resealed(
                tmp_path / "t.tar",
                {**raw, bottle: injected_wheel(raw[bottle], "bottle.py", marker)},
            ),
            "the lock says",
        ),
        "python": (resealed(tmp_path / "py.tar", raw, pythons=["3.99"]), "serve Python 3.99"),
        "target": (
            resealed(tmp_path / "mac.tar", raw, target="macos-arm64-cpu"),
            "is for macos-arm64-cpu",
        ),
        "format-1": (resealed(tmp_path / "v1.tar", raw, format=1), "bundle format 1"),
        "gzip": (bomb, "not a cache bundle"),
    }
    script = 'ip link set lo up 2>/dev/null || true; exec "$@"'
    for case, (bad, says) in cases.items():
        argv = [
            str(tool / "bin" / "python"),
            "-m",
            "bootstrap",
            "up",
            "--profile",
            "python-service",
        ]
        run = subprocess.run(
            ["unshare", "-n", "sh", "-c", script, "up", *argv, "--cache-bundle", str(bad)],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        err = run.stdout + run.stderr
        assert run.returncode == 2, (case, err)
        line = next(x for x in err.splitlines() if x.startswith("error: "))
        assert says in line if says else str(bad) in line, (case, line)
        assert not (tree / "examples" / "python-service" / ".venv").exists(), case
        wheelhouse = data / "wheels"
        assert not any(p.suffix == ".whl" for p in wheelhouse.rglob("*")), case
        assert not marker.exists(), case
        assert not (tmp_path / "outside").exists() and not Path("/tmp/abs-outside").exists()
    assert history(env)[-1]["outcome"] == "failure"
