"""Bad bundles through every entry point that reads one, offline (`unshare -n`):
`bootstrap cache verify`, `bootstrap cache import`, `bootstrap up --cache-bundle` on a
machine with no uv yet (it takes uv from the bundle) and `install.sh --cache-bundle`
under dash. Each case gets its documented exit code, exactly one error line on stderr,
no traceback, no crash log, and nothing written outside the tool's own directories (the
"stick" the bundle came on, the project, the current directory stay as they were; a
planted executable is never run).

The harness is the parametrized table below: a case is a builder and what each entry
point must answer. The hostile-member matrix of test_bundle.py runs through the same
commands in test_bundle_commands.py and test_stage0_bundle.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import REPO, cli
from support.bundles import TINY, Packed, copy_tiny
from support.network import netns_available, offline
from test_bundle import file_info, members, resealed, write_raw

from bootstrap.cache.bundle import MANIFEST, SUMS, Manifest, sums_text

pytestmark = pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available")

ENTRY_POINTS = ("verify", "import", "up", "install.sh")
TINY_PROFILE = """name = "tiny"
[project]
path = "tiny"
[[locks]]
kind = "uv"
path = "uv.lock"
[first_run]
command = ["python", "-c", "import six; print(six.__version__)"]
"""


@dataclass(frozen=True)
class Case:
    build: Callable[[Packed, Path], str]  # (the good bundle, the stick) -> the source
    says: tuple[str, ...]  # what the one error line says (any of these), every entry point
    code: int = 2
    # Entry points whose line says something else (the shell reads a tar differently).
    sh_says: tuple[str, ...] = ()


def _raw_with_manifest(dest: Path, raw: dict[str, bytes], manifest: bytes) -> Path:
    """A bundle whose manifest is ``manifest`` as it is (sums that match it)."""
    parts = {n: d for n, d in raw.items() if n not in (MANIFEST, SUMS)}
    sums = {n: hashlib.sha256(d).hexdigest() for n, d in parts.items()}
    sums[MANIFEST] = hashlib.sha256(manifest).hexdigest()
    entries = [file_info(MANIFEST, manifest), file_info(SUMS, sums_text(sums))]
    entries += [file_info(n, parts[n]) for n in sorted(parts)]
    return write_raw(dest, entries)


def _cut(at: Callable[[int], int]) -> Callable[[Packed, Path], str]:
    def build(packed: Packed, stick: Path) -> str:
        data = packed.path.read_bytes()
        out = stick / "cut.tar"
        out.write_bytes(data[: at(len(data))])
        return str(out)

    return build


def _long_name(packed: Packed, stick: Path) -> str:
    raw = members(packed.path)
    raw["wheels/" + "a" * 300 + "-1.0-py3-none-any.whl"] = b"PK not a wheel"
    return str(resealed(stick / "long.tar", raw))


def _deep_manifest(packed: Packed, stick: Path) -> str:
    deep = b"[" * 100_000 + b"]" * 100_000
    return str(_raw_with_manifest(stick / "deep.tar", members(packed.path), deep))


def _python_path(packed: Packed, stick: Path) -> str:
    """`pythons` naming an executable planted next to the bundle: whatever reads it as a
    path to run (install.sh did: `uv venv --python VALUE`) runs the plant."""
    plant = stick / "python3.99"
    plant.write_text(f"#!/bin/sh\ntouch '{stick}/PLANT-RAN'\nexec python3 \"$@\"\n")
    plant.chmod(0o755)
    return str(resealed(stick / "py.tar", members(packed.path), pythons=[str(plant)]))


def _uv(packed: Packed, raw: dict[str, bytes]) -> str:
    return Manifest.from_json(raw[MANIFEST], "test").uv_artifact


def _tampered_uv(packed: Packed, stick: Path) -> str:
    raw = members(packed.path)
    name = _uv(packed, raw)
    raw[name] = raw[name][:-10] + b"0123456789"
    return str(resealed(stick / "uv.tar", raw))


def _missing_uv(packed: Packed, stick: Path) -> str:
    raw = members(packed.path)
    del raw[_uv(packed, raw)]
    return str(resealed(stick / "nouv.tar", raw))


def _odd_version(packed: Packed, stick: Path) -> str:
    return str(resealed(stick / "ver.tar", members(packed.path), uv_version="0.13.9 --help"))


CASES = {
    # Cut inside the manifest, and in the middle of the wheels.
    "truncated-manifest": Case(
        _cut(lambda n: 600), ("truncated or corrupt",), sh_says=("not a readable tar",)
    ),
    "truncated-wheels": Case(
        _cut(lambda n: n // 2), ("truncated or corrupt",), sh_says=("not a readable tar",)
    ),
    "name-over-name-max": Case(
        _long_name, ("unexpected member",), sh_says=("longer than 255 characters",)
    ),
    "deep-manifest": Case(
        _deep_manifest, ("nested too deeply",), sh_says=("bundle format ?, this checkout",)
    ),
    "python-is-a-path": Case(
        _python_path, ("not a Python version like 3.12",), sh_says=("not a Python version",)
    ),
    "uv-version-with-an-option": Case(
        _odd_version, ("not a uv version like 0.13.9",), sh_says=("but the pin is uv",)
    ),
    "tampered-uv": Case(
        _tampered_uv,
        ("does not match the pinned checksum",),
        sh_says=("is not the pinned uv",),
    ),
    "missing-uv": Case(
        _missing_uv,
        ("should carry exactly one uv artifact", "carries no pinned uv"),
        sh_says=("is missing",),
    ),
    "plain-http-url": Case(
        lambda packed, stick: "http://bundles.example.com/env.tar",
        ("only https (or http to 127.0.0.1/localhost) is allowed",),
    ),
}


def _env(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "BOOTSTRAP_HOME": str(home / "bootstrap"),
        "BOOTSTRAP_NO_METRICS": "1",
        "PYTHONPATH": str(REPO),
        "LANG": "C.UTF-8",
    }


def run_entry(entry: str, source: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``entry`` on ``source`` from an empty current directory, offline, on a fresh
    machine (HOME under ``tmp_path/home``): no uv installed, nothing imported."""
    home = tmp_path / "home"
    cwd = tmp_path / "cwd"
    for d in (home, cwd):
        d.mkdir(exist_ok=True)
    env = _env(home)
    py = [sys.executable, "-m", "bootstrap"]
    if entry in ("verify", "import"):
        argv = [*py, "cache", entry, source, "--lock", str(TINY / "uv.lock")]
    elif entry == "up":
        profile = tmp_path / "tiny.toml"
        argv = [*py, "up", "--profile", str(profile), "--cache-bundle", source]
    else:
        # A machine with only a Python on PATH: no uv (stage 0 takes it from the bundle).
        pybin = tmp_path / "pybin"
        pybin.mkdir(exist_ok=True)
        if not (pybin / "python3").exists():
            (pybin / "python3").symlink_to(Path(sys.base_prefix) / "bin" / "python3")
        env = {"PATH": f"{pybin}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
        argv = ["dash", str(REPO / "install.sh"), "--cache-bundle", source, "--no-run"]
        cwd = REPO
    return subprocess.run(
        offline(argv), env=env, cwd=cwd, capture_output=True, text=True, check=False, timeout=300
    )


def snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` but ``skip`` (the tool's own directories), with its size
    and mtime: what a run must not change."""
    out = {}
    for p in root.rglob("*"):
        if p.is_relative_to(skip) or not p.is_file() or p.is_symlink():
            continue
        st = p.stat()
        out[str(p)] = (st.st_size, st.st_mtime_ns)
    return out


def error_lines(res: subprocess.CompletedProcess[str]) -> list[str]:
    return [ln for ln in res.stderr.splitlines() if ln.startswith(("error:", "install.sh: error:"))]


def assert_one_line(res: subprocess.CompletedProcess[str], code: int) -> str:
    out = res.stdout + res.stderr
    assert res.returncode == code, out
    assert "Traceback" not in out and "internal error" not in out, out
    errors = error_lines(res)
    assert len(errors) == 1, res.stderr  # one error line (a "fix:" hint may follow it)
    return errors[0]


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """The project and profile `up` uses; the stick the bundles come on."""
    copy_tiny(tmp_path / "tiny")
    (tmp_path / "tiny.toml").write_text(TINY_PROFILE)
    (tmp_path / "stick").mkdir()
    return tmp_path


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_bundle_is_one_line_and_exit_2_everywhere(
    packed: Packed, machine: Path, case: str, entry: str
) -> None:
    if packed.target != "linux-x86_64-cpu":
        pytest.skip("the cases name the linux-x86_64-cpu target")
    spec = CASES[case]
    source = spec.build(packed, machine / "stick")
    home = machine / "home"
    before = snapshot(machine, home)
    res = run_entry(entry, source, machine)
    line = assert_one_line(res, spec.code)
    says = spec.sh_says if entry == "install.sh" and spec.sh_says else spec.says
    assert any(s in line for s in says), (says, line)
    assert snapshot(machine, home) == before  # the stick, the project, the cwd: untouched
    assert not (machine / "stick" / "PLANT-RAN").exists()
    assert not (machine / "tiny" / ".venv").exists()
    assert not list(home.rglob("bootstrap-crash-*.log"))
    # Nothing from the bundle reached the wheelhouse, nor an environment.
    for data in (home / "bootstrap" / "data", home / ".local" / "share" / "bootstrap"):
        assert not list((data / "wheels").glob("*.whl")), case
        assert not (data / "tool").exists() or not any((data / "tool").rglob(".ok"))


def test_the_good_bundle_passes_every_entry_point(packed: Packed, machine: Path) -> None:
    """The control: the bundle the bad ones were made from is taken by each."""
    if packed.target != "linux-x86_64-cpu":
        pytest.skip("the cases name the linux-x86_64-cpu target")
    for entry in ENTRY_POINTS:
        res = run_entry(entry, str(packed.path), machine)
        assert res.returncode == 0, (entry, res.stdout + res.stderr)
        assert not error_lines(res), (entry, res.stderr)


def test_crlf_sha256sums_are_read_as_python_reads_them(packed: Packed, machine: Path) -> None:
    """A SHA256SUMS written on Windows (CRLF line ends): Python's reader takes it, and
    stage 0 now does too, instead of calling every member missing."""
    raw = members(packed.path)
    crlf = raw[SUMS].replace(b"\n", b"\r\n")
    parts = [file_info(MANIFEST, raw[MANIFEST]), file_info(SUMS, crlf)]
    parts += [file_info(n, raw[n]) for n in sorted(raw) if n not in (MANIFEST, SUMS)]
    bundle = write_raw(machine / "stick" / "crlf.tar", parts)
    for entry in ("verify", "install.sh"):
        res = run_entry(entry, str(bundle), machine)
        assert res.returncode == 0, (entry, res.stdout + res.stderr)


def test_manifest_values_are_checked_in_python_as_data() -> None:
    """Every manifest value against its pattern: a value that could be a path, an option
    or a shell word is refused by name, not used."""
    from bootstrap.errors import IntegrityError

    good = {
        "format": 2,
        "target": "linux-x86_64-cpu",
        "pythons": ["3.12"],
        "uv_version": "0.13.9",
        "uv_artifact": "uv/uv.whl",
        "created_at": "2026-12-07T12:00:00Z",
        "profile": "team",
        "project_lock": "uv.lock",
        "extras": ["cu126"],
        "groups": ["test"],
        "parts": {"project": ["six-1.17.0-py2.py3-none-any.whl"]},
        "unpacked_size": 1,
        "members": {"uv/uv.whl": "0" * 64},
    }
    Manifest.from_json(json.dumps(good).encode(), "b.tar")
    bad = {
        "target": "linux-x86_64-cpu; rm -rf ~",
        "pythons": ["../../bin/python"],
        "uv_version": "--version",
        "profile": "$(reboot)",
        "project_lock": "/etc/passwd",
        "extras": ["--index-url=http://evil"],
        "groups": ["a b"],
        "created_at": "\x1b]52;c;aGk=\x07",
        "uv_artifact": "uv/../../uv",
        "parts": {"project": ["../six.whl"]},
        "members": {"uv/uv.whl": "not-hex"},
    }
    for key, value in bad.items():
        body = dict(good, **{key: value})
        with pytest.raises(IntegrityError, match=repr(key)) as err:
            Manifest.from_json(json.dumps(body).encode(), "b.tar")
        assert "\x1b" not in str(err.value)
        assert err.value.code == "bundle.manifest"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["up", "--dry-run", "--lock", "/etc/passwd"], "not a lock file name"),
        (["plan", "--lock", "/etc/passwd"], "not a lock file name"),
        (["up", "--dry-run", "--lock", "pylock.nowhere.toml"], "no such file in the project"),
    ],
    ids=["up-dry-run", "plan", "up-missing"],
)
def test_a_lock_that_is_not_a_lock_is_refused_even_in_a_dry_run(
    machine: Path, argv: list[str], says: str
) -> None:
    """`--lock` names the file uv installs from: a file that is not a lock (by name), or
    that the project does not have, is bad input before anything is planned to run."""
    home = machine / "home"
    res = cli.bootstrap(
        *argv, "--profile", str(machine / "tiny.toml"), cwd=machine, env=_env(home), timeout=120
    )
    line = assert_one_line(res, 2)
    assert says in line, line
    assert "would sync" not in res.stdout
