"""install.sh piped (no checkout: it fetches the bootstrapper itself, verified) and with a
cache bundle (no network at all)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from support.network import netns_available, offline
from support.servers import serve_directory
from support.stage0 import INSTALL_SH, REPO, Artifacts, run_sh, sha256, shell_env


@pytest.fixture(scope="session")
def self_artifacts(uv_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository built as an sdist (it carries uv.lock) and a wheel."""
    out = tmp_path_factory.mktemp("self-dist")
    res = subprocess.run(
        [str(uv_bin), "build", "--sdist", "--wheel", "--out-dir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "UV_OFFLINE": "1"},
    )
    if res.returncode != 0:
        pytest.skip(f"uv build failed here: {res.stderr.strip()[-200:]}")
    return out


def piped(
    env: dict[str, str], args: list[str], cwd: Path, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """`cat install.sh | sh -s -- ARGS`, from a directory that is not a checkout."""
    return subprocess.run(
        ["sh", "-s", "--", *args],
        input=INSTALL_SH.read_text(),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_piped_fetches_the_pinned_bootstrapper_archive(
    artifacts: Artifacts,
    test_pin: Path,
    self_artifacts: Path,
    tmp_path: Path,
    warm_uv_cache: str,
) -> None:
    sdist = next(self_artifacts.glob("*.tar.gz"))
    with serve_directory(self_artifacts) as srv:
        env = shell_env(
            tmp_path,
            BOOTSTRAP_UV_LOCAL=str(artifacts.local),
            BOOTSTRAP_SELF_URL=f"{srv.url}/{sdist.name}",
            BOOTSTRAP_SELF_SHA256=sha256(sdist),
            UV_OFFLINE="1",
            UV_CACHE_DIR=warm_uv_cache,
        )
        first = piped(env, ["--", "--help"], tmp_path)
        assert first.returncode == 0, first.stderr
        assert "Usage: bootstrap up" in first.stdout
        fetched = len(srv.requests)
        again = piped(env, ["--", "--help"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(srv.requests) == fetched == 1  # kept, keyed by its checksum


def test_piped_refuses_a_bootstrapper_that_does_not_match(
    artifacts: Artifacts, test_pin: Path, self_artifacts: Path, tmp_path: Path
) -> None:
    wheel = next(self_artifacts.glob("*.whl"))
    with serve_directory(self_artifacts) as srv:
        env = shell_env(
            tmp_path,
            BOOTSTRAP_UV_LOCAL=str(artifacts.local),
            BOOTSTRAP_SELF_URL=f"{srv.url}/{wheel.name}",
            BOOTSTRAP_SELF_SHA256="f" * 64,
        )
        res = piped(env, [], tmp_path)
    assert res.returncode == 1
    assert "does not match its pinned checksum" in res.stderr
    assert not list((Path(os.environ["BOOTSTRAP_HOME"]) / "data" / "self").glob("f*"))


def test_piped_without_a_pinned_bootstrapper_says_how(
    artifacts: Artifacts, test_pin: Path, tmp_path: Path
) -> None:
    env = shell_env(tmp_path, BOOTSTRAP_UV_LOCAL=str(artifacts.local))
    res = piped(env, [], tmp_path)
    assert res.returncode == 1
    assert "BOOTSTRAP_SELF_URL" in res.stderr


@pytest.mark.network
def test_piped_runs_the_bootstrapper_wheel(
    artifacts: Artifacts, test_pin: Path, self_artifacts: Path, tmp_path: Path
) -> None:
    wheel = next(self_artifacts.glob("*.whl"))
    with serve_directory(self_artifacts) as srv:
        env = shell_env(
            tmp_path,
            BOOTSTRAP_UV_LOCAL=str(artifacts.local),
            BOOTSTRAP_SELF_URL=f"{srv.url}/{wheel.name}",
            BOOTSTRAP_SELF_SHA256=sha256(wheel),
        )
        res = piped(env, ["--", "--help"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert "Usage: bootstrap up" in res.stdout


# ----- cache bundles ---------------------------------------------------------------


def make_bundle(
    path: Path,
    artifact: Path,
    *,
    uv_version: str,
    target: str = "linux-x86_64-cpu",
    tamper: bool = False,
) -> Path:
    """A format 2 bundle (docs/cache.md) with the uv artifact and one project wheel that
    no lock of this repository names (stage 0 leaves it for `bootstrap up`), and none of
    the bootstrapper's own wheels."""
    members: dict[str, bytes] = {
        f"uv/{artifact.name}": artifact.read_bytes(),
        "wheels/sentinel-1.0-py3-none-any.whl": b"from the bundle\n",
    }
    sums = {name: hashlib.sha256(data).hexdigest() for name, data in members.items()}
    manifest = {
        "format": 2,
        "target": target,
        "pythons": [f"{sys.version_info[0]}.{sys.version_info[1]}"],
        "uv_version": uv_version,
        "uv_artifact": f"uv/{artifact.name}",
        "created_at": "2026-01-01T00:00:00Z",
        "profile": "",
        "project_lock": "uv.lock",
        "extras": [],
        "groups": [],
        "parts": {"project": ["sentinel-1.0-py3-none-any.whl"], "tool": []},
        "unpacked_size": sum(len(d) for d in members.values()),
        "members": sums,
    }
    members["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True).encode()
    lines = [
        f"{hashlib.sha256(data).hexdigest()}  {name}" for name, data in sorted(members.items())
    ]
    if tamper:
        name = "wheels/sentinel-1.0-py3-none-any.whl"
        members[name] = members[name][:-10] + b"0" * 10
    members["SHA256SUMS"] = ("\n".join(lines) + "\n").encode()
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def host_target(artifacts: Artifacts) -> str:
    from bootstrap.uv.platform import target_os_arch

    os_, arch = target_os_arch(artifacts.triple)
    return f"{os_}-{arch}-cpu"


@pytest.mark.netns
def test_cache_bundle_installs_uv_then_needs_the_bootstrappers_wheels(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    """With no network, uv comes from the bundle (checked against the pin); a bundle
    without the bootstrapper's runtime wheels is then refused, exit 2, with the reason."""
    if not netns_available():
        pytest.skip("unshare -n is not available here")
    bundle = make_bundle(
        tmp_path / "env.tar",
        artifacts.archive,
        uv_version=artifacts.version,
        target=host_target(artifacts),
    )
    env = shell_env(tmp_path, UV_CACHE_DIR=str(tmp_path / "uv-cache"))
    res = subprocess.run(
        offline(["dash", str(INSTALL_SH), "--cache-bundle", str(bundle), "--no-run"]),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (uv_home / artifacts.version / "uv").exists()
    assert res.returncode == 2, res.stderr
    assert "[bundle.tool_missing]" in res.stderr
    assert "sentinel" not in " ".join(p.name for p in (uv_home.parent / "wheels").glob("*"))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"uv_version": "0.0.1"}, "carries uv 0.0.1, but the pin is uv"),
        ({"target": "macos-riscv-cpu"}, "is for macos-riscv-cpu, this machine is"),
        ({"tamper": True}, "sentinel-1.0-py3-none-any.whl does not match SHA256SUMS"),
    ],
)
def test_bad_bundles_are_refused(
    *,
    change: dict[str, object],
    reason: str,
    artifacts: Artifacts,
    test_pin: Path,
    uv_home: Path,
    tmp_path: Path,
) -> None:
    kwargs: dict[str, object] = {
        "uv_version": artifacts.version,
        "target": host_target(artifacts),
        **change,
    }
    bundle = make_bundle(tmp_path / "env.tar", artifacts.archive, **kwargs)  # type: ignore[arg-type]
    res = run_sh(["dash"], ["--cache-bundle", str(bundle), "--no-run"], shell_env(tmp_path))
    assert res.returncode == 2
    assert reason in res.stderr
    assert not (uv_home / artifacts.version).exists()


def test_bundle_uv_is_checked_against_the_pin_not_the_manifest(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    other = artifacts.make_archive(tmp_path / "other" / artifacts.archive.name)
    other.write_bytes(other.read_bytes() + b"\0" * 512)  # self-consistent bundle, unpinned uv
    bundle = make_bundle(
        tmp_path / "env.tar", other, uv_version=artifacts.version, target=host_target(artifacts)
    )
    res = run_sh(["dash"], ["--cache-bundle", str(bundle), "--no-run"], shell_env(tmp_path))
    assert res.returncode == 2, res.stderr  # a refused bundle, like any other
    assert "is not the pinned uv" in res.stderr and "[bundle.uv_checksum]" in res.stderr
    assert not (uv_home / artifacts.version).exists()


def test_piped_finds_the_pinned_bootstrapper_on_an_index(
    artifacts: Artifacts,
    test_pin: Path,
    self_artifacts: Path,
    tmp_path: Path,
    warm_uv_cache: str,
) -> None:
    sdist = next(self_artifacts.glob("*.tar.gz"))
    # The pin's `self` line names the artifact; the index serves it; no URL, no env sha.
    with test_pin.open("a") as fh:
        fh.write(f"self 0.1.0 {sdist.name} {sha256(sdist)}\n")
    served = tmp_path / "index"
    (served / "simple" / "bootstrap").mkdir(parents=True)
    (served / "files").mkdir()
    (served / "files" / sdist.name).write_bytes(sdist.read_bytes())
    (served / "simple" / "bootstrap" / "index.html").write_text(
        f'<a href="/files/{sdist.name}">{sdist.name}</a>\n'
    )
    with serve_directory(served) as srv:
        env = shell_env(
            tmp_path,
            BOOTSTRAP_UV_LOCAL=str(artifacts.local),
            BOOTSTRAP_SELF_INDEX_URL=f"{srv.url}/simple",
            UV_OFFLINE="1",
            UV_CACHE_DIR=warm_uv_cache,
        )
        res = piped(env, ["--", "--help"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert "Usage: bootstrap up" in res.stdout
    assert ("GET", f"/files/{sdist.name}") in srv.requests


def test_bundle_with_a_link_is_refused(
    artifacts: Artifacts, test_pin: Path, uv_home: Path, tmp_path: Path
) -> None:
    bundle = make_bundle(
        tmp_path / "env.tar",
        artifacts.archive,
        uv_version=artifacts.version,
        target=host_target(artifacts),
    )
    with tarfile.open(bundle, "a") as tf:
        link = tarfile.TarInfo("extra")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    res = run_sh(["dash"], ["--cache-bundle", str(bundle), "--no-run"], shell_env(tmp_path))
    assert res.returncode == 2
    assert "is not a regular file" in res.stderr and "[bundle.unsafe_member]" in res.stderr
    assert not (uv_home / artifacts.version).exists()
