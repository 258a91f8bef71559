"""A bundle that carries the pinned interpreter (`cache pack --with-python`), checked
against the Python pin by `cache verify`, `cache import` and install.sh; hostile bundles
are refused before uv sees their interpreter, through each of them."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from support import cli
from support.network import netns_available, offline
from support.pyarchive import PyArchive, variant, write_pin

from bootstrap.cache import Expect, import_bundle, verify
from bootstrap.cache.bundle import MANIFEST, SUMS, sums_text
from bootstrap.cache.importer import tool_lock
from bootstrap.cache.pin import repo_pin
from bootstrap.errors import IntegrityError
from bootstrap.python.pin import load

REPO = Path(__file__).resolve().parents[2]
SERVICE_LOCK = REPO / "examples" / "python-service" / "uv.lock"


def members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle) as tar:
        out = {}
        for info in tar.getmembers():
            fh = tar.extractfile(info)
            assert fh is not None
            out[info.name] = fh.read()
        return out


def resealed(dest: Path, parts: dict[str, bytes]) -> Path:
    """``parts`` with a manifest and sums that match: what anyone who can write a bundle
    can do; only the repository's pins can catch it."""
    parts = dict(parts)
    parts.pop(SUMS, None)
    body = json.loads(parts.pop(MANIFEST))
    body["members"] = {n: hashlib.sha256(d).hexdigest() for n, d in parts.items()}
    body["unpacked_size"] = sum(len(d) for d in parts.values())
    mbytes = (json.dumps(body, indent=2, sort_keys=True) + "\n").encode()
    sums = dict(body["members"], **{MANIFEST: hashlib.sha256(mbytes).hexdigest()})
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in [(MANIFEST, mbytes), (SUMS, sums_text(sums)), *sorted(parts.items())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return dest


def interpreter_member(parts: dict[str, bytes]) -> str:
    (name,) = [n for n in parts if n.startswith("python/")]
    return name


def expect(pin: Path) -> Expect:
    return Expect(
        locks=[SERVICE_LOCK, tool_lock()],
        pin=repo_pin(),
        python_pin=load({"BOOTSTRAP_PYTHON_PIN_FILE": str(pin)}),
    )


@pytest.fixture
def pinned(py_bundle: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    bundle, pin = py_bundle
    monkeypatch.setenv("BOOTSTRAP_PYTHON_PIN_FILE", str(pin))
    return bundle, pin


def stage0(bundle: Path, tmp_path: Path, pin: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "BOOTSTRAP_PYTHON_PIN_FILE": str(pin),
        "BOOTSTRAP_NO_METRICS": "1",
    }
    argv = ["sh", str(REPO / "install.sh"), "--cache-bundle", str(bundle), *args]
    return subprocess.run(
        offline(argv), env=env, cwd=REPO, capture_output=True, text=True, check=False, timeout=300
    )


def no_interpreter(tmp_path: Path) -> None:
    managed = tmp_path / "home" / ".local" / "share" / "uv" / "python"
    assert not managed.exists() or not any(managed.glob("cpython-*"))


# -- the good bundle --------------------------------------------------------------------


def test_pack_with_python_carries_the_pinned_archive(
    pinned: tuple[Path, Path], py_archive: PyArchive, tmp_path: Path
) -> None:
    bundle, pin = pinned
    v = verify(bundle, expect(pin))
    assert v.interpreter is not None and v.interpreter.sha256 == py_archive.sha256
    assert v.manifest.pythons == ("3.11",)  # the wheels serve the interpreter's version
    raw = members(bundle)
    assert raw[f"python/{py_archive.path.name}"] == py_archive.path.read_bytes()
    argv = ["cache", "verify", str(bundle), "--json", "--profile", "python-service"]
    out = cli.bootstrap(*argv, cwd=REPO, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["interpreter"] == f"python/{py_archive.path.name}"
    wheelhouse, pydir = tmp_path / "wheels", tmp_path / "python"
    first = import_bundle(bundle, wheelhouse, expect(pin), python_dir=pydir)
    assert first.python_archive == pydir / py_archive.path.name
    assert first.python_archive.read_bytes() == py_archive.path.read_bytes()
    again = import_bundle(bundle, wheelhouse, expect(pin), python_dir=pydir)
    assert again.skipped and again.python_archive == first.python_archive


def test_pack_with_python_refuses_without_a_pin_for_the_target(
    py_bundle: tuple[Path, Path], tmp_path: Path
) -> None:
    empty = tmp_path / "pin.txt"
    empty.write_text("# nothing pinned\n")
    res = cli.bootstrap(
        "cache",
        "pack",
        "--profile",
        "python-service",
        "--with-python",
        "--out",
        str(tmp_path / "x.tar"),
        cwd=REPO,
        env=dict(os.environ, BOOTSTRAP_PYTHON_PIN_FILE=str(empty)),
    )
    assert res.returncode == 2, res.stderr
    assert "pins no interpreter for" in res.stderr and "bootstrap python pin" in res.stderr
    assert not (tmp_path / "x.tar").exists()


# -- hostile bundles ---------------------------------------------------------------------


def test_a_changed_interpreter_byte_is_refused_everywhere(
    pinned: tuple[Path, Path], tmp_path: Path
) -> None:
    bundle, pin = pinned
    raw = members(bundle)
    name = interpreter_member(raw)
    data = bytearray(raw[name])
    data[-100] ^= 0x01
    raw[name] = bytes(data)
    bad = resealed(tmp_path / "bad.tar", raw)
    for check in (
        lambda: verify(bad, expect(pin)),
        lambda: import_bundle(bad, tmp_path / "w", expect(pin), python_dir=tmp_path / "py"),
    ):
        with pytest.raises(IntegrityError, match="refused before uv sees it") as err:
            check()
        assert err.value.code == "bundle.python_checksum"
    assert not (tmp_path / "py").exists() or not any((tmp_path / "py").iterdir())
    if netns_available():
        res = stage0(bad, tmp_path, pin, "--no-run")
        assert res.returncode == 2, res.stderr
        assert "[bundle.python_checksum]" in res.stderr and name in res.stderr
        no_interpreter(tmp_path)


def test_an_interpreter_the_pin_does_not_name_is_refused(
    pinned: tuple[Path, Path], tmp_path: Path
) -> None:
    bundle, _ = pinned
    other = write_pin(tmp_path / "other-pin.txt")  # pins nothing
    with pytest.raises(
        IntegrityError, match="not an interpreter archive the Python pin names"
    ) as err:
        verify(bundle, expect(other))
    assert err.value.code == "bundle.python_unpinned"
    if netns_available():
        res = stage0(bundle, tmp_path, other, "--no-run")
        assert res.returncode == 2 and "[bundle.python_unpinned]" in res.stderr, res.stderr
        no_interpreter(tmp_path)


@pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available")
def test_a_downloads_list_in_the_bundle_is_ignored_and_the_pin_wins(
    pinned: tuple[Path, Path], py_archive: PyArchive, tmp_path: Path
) -> None:
    bundle, pin = pinned
    raw = members(bundle)
    # A list that would install another file, unverified.
    evil = tmp_path / "evil.tar.gz"
    evil.write_bytes(b"not python")
    raw["python/downloads.json"] = json.dumps(
        {"cpython-3.11.2-linux-x86_64-gnu": {"url": evil.as_uri(), "sha256": None}}
    ).encode()
    carrying = resealed(tmp_path / "list.tar", raw)
    v = verify(carrying, expect(pin))
    assert v.ignored == ("python/downloads.json",)
    assert v.interpreter is not None and v.interpreter.sha256 == py_archive.sha256
    res = stage0(carrying, tmp_path, pin, "--no-run")
    assert res.returncode == 0, res.stderr
    assert res.stderr.count("is a downloads list; it is never used") == 1
    (tool,) = (tmp_path / "home" / ".local" / "share" / "bootstrap" / "tool").iterdir()
    base = subprocess.run(
        [str(tool / "bin" / "python"), "-c", "import sys; print(sys.base_prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    managed = tmp_path / "home" / ".local" / "share" / "uv" / "python"
    assert Path(base).is_relative_to(managed), base


@pytest.mark.parametrize("change", ["absolute_link", "drop_sysconfigdata"])
def test_a_pinned_archive_uv_would_refuse_is_refused_by_import_and_stage0(
    pinned: tuple[Path, Path], py_archive: PyArchive, tmp_path: Path, change: str
) -> None:
    """Even when the pin names it (a hand-edited pin): import checks the layout before
    uv sees it, and stage 0 stops on uv's own refusal."""
    bundle, _ = pinned
    bad_archive = variant(py_archive, tmp_path / py_archive.path.name, **{change: True})
    bad_pin_archive = PyArchive(
        bad_archive,
        py_archive.version,
        hashlib.sha256(bad_archive.read_bytes()).hexdigest(),
        py_archive.triple,
    )
    pin = write_pin(tmp_path / "pin.txt", bad_pin_archive)
    raw = members(bundle)
    raw[interpreter_member(raw)] = bad_archive.read_bytes()
    bad = resealed(tmp_path / "bad.tar", raw)
    with pytest.raises(IntegrityError) as err:
        import_bundle(bad, tmp_path / "w", expect(pin), python_dir=tmp_path / "py")
    assert err.value.code in ("python.archive_unsafe", "python.archive_layout")
    assert not (tmp_path / "py" / bad_archive.name).exists()
    if netns_available():
        res = stage0(bad, tmp_path, pin, "--no-run")
        assert res.returncode == 2, res.stderr
        assert "[python.install_failed]" in res.stderr
        no_interpreter(tmp_path)
