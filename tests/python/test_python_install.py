"""uv installs the pinned interpreter offline from the list written from the pin, and
nothing else: every check here runs the real uv (the pinned version) on the Debian-built
install_only archive (tests/support/pyarchive.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support.network import netns_available, offline
from support.pyarchive import PyArchive

from bootstrap.errors import IntegrityError
from bootstrap.python import downloads
from bootstrap.python.pin import Interpreter
from bootstrap.python.source import checked


def interp(a: PyArchive) -> Interpreter:
    return Interpreter(a.triple, a.version, a.path.name, a.sha256, a.path.resolve().as_uri())


def uv_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "UV_PYTHON_INSTALL_DIR": str(tmp_path / "managed"),
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        **extra,
    }


def test_the_list_is_written_from_the_pin_with_its_hash(
    tmp_path: Path, py_archive: PyArchive
) -> None:
    it = interp(py_archive)
    path = downloads.write_list(it, py_archive.path, tmp_path / "list.json")
    body = json.loads(path.read_text())
    (key,) = body
    entry = body[key]
    assert key == f"cpython-{py_archive.version}-linux-{it.triple.split('-')[0]}-gnu"
    assert entry["sha256"] == py_archive.sha256
    assert entry["url"] == py_archive.path.resolve().as_uri()
    assert (entry["major"], entry["minor"]) == (3, 11)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sha256": None}, "has no sha256"),
        ({"drop": "sha256"}, "has no sha256"),
        ({"sha256": "not-a-hash"}, "has no sha256"),
        ({"url": "https://example.com/a.tar.gz"}, "local file:// archive"),
        ({"top": ("version", 1)}, "'version' is not an entry"),
    ],
)
def test_a_list_uv_would_install_from_unverified_is_refused(
    py_archive: PyArchive, change: dict[str, object], message: str
) -> None:
    body = downloads.make_list(interp(py_archive), py_archive.path)
    (entry,) = body.values()
    if "drop" in change:
        del entry[str(change["drop"])]
    elif "top" in change:
        k, v = change["top"]  # type: ignore[misc]
        body[k] = v
    else:
        entry.update(change)
    with pytest.raises(IntegrityError, match=message) as err:
        downloads.check_list(body, "list.json")
    assert err.value.code == "python.list_unsafe"


def test_uv_installs_it_offline_and_it_runs(
    tmp_path: Path, py_archive: PyArchive, uv_bin: Path
) -> None:
    env = uv_env(tmp_path, UV_PYTHON_INSTALL_MIRROR="https://mirror.invalid/pbs")
    done = downloads.install(
        str(uv_bin), interp(py_archive), py_archive.path, tmp_path / "l.json", env
    )
    # The mirror variable is left out of the install (uv fails with it and a file:// list).
    assert done.dropped == ("UV_PYTHON_INSTALL_MIRROR",)
    assert Path(done.python).resolve().is_relative_to((tmp_path / "managed").resolve())
    probe = subprocess.run(
        offline(
            [
                done.python,
                "-c",
                "import ssl, sqlite3, ctypes, sys; print(sys.base_prefix, sys.version)",
            ]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.startswith(str(tmp_path / "managed")) and py_archive.version in probe.stdout
    # Nothing went into ~/.local/bin: the tool never changes PATH unasked.
    assert not (tmp_path / "home" / ".local" / "bin").exists()
    # Installed: found again without another install.
    assert downloads.find(str(uv_bin), interp(py_archive), env) == done.python


def test_a_changed_byte_is_refused_before_uv_and_by_uv(
    tmp_path: Path, py_archive: PyArchive, uv_bin: Path
) -> None:
    bad = tmp_path / py_archive.path.name
    data = bytearray(py_archive.path.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=r"the pin for .* says") as err:
        checked(bad, interp(py_archive))
    assert err.value.code == "python.archive_checksum"
    # Had it reached uv anyway, uv fails too: this one as a corrupt gzip stream ...
    with pytest.raises(downloads.PythonInstallFailed):
        downloads.install(
            str(uv_bin), interp(py_archive), bad, tmp_path / "l.json", uv_env(tmp_path)
        )
    # ... and a well-formed archive with other bytes (the same tar, compressed again) on
    # uv's own hash check, since the list carries the pin's SHA-256.
    import gzip

    other = tmp_path / "other" / py_archive.path.name
    other.parent.mkdir()
    other.write_bytes(gzip.compress(gzip.decompress(py_archive.path.read_bytes()), 1))
    with pytest.raises(downloads.PythonInstallFailed, match=r"(?i)hash mismatch"):
        downloads.install(
            str(uv_bin), interp(py_archive), other, tmp_path / "l.json", uv_env(tmp_path)
        )
    assert not (tmp_path / "managed").exists() or not any((tmp_path / "managed").glob("cpython-*"))


@pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available")
def test_uv_refuses_what_the_archive_rules_refuse(
    tmp_path: Path, py_archive: PyArchive, uv_bin: Path
) -> None:
    """The rules the tool applies first are uv's own: an absolute symlink or a missing
    _sysconfigdata fails uv's install as well (so a pin that names such a file cannot
    install it anywhere)."""
    from support.pyarchive import variant

    for n, change in enumerate(({"absolute_link": True}, {"drop_sysconfigdata": True})):
        bad = variant(py_archive, tmp_path / f"{n}-{py_archive.path.name}", **change)
        from bootstrap.files import sha256_file

        it = Interpreter(
            py_archive.triple, py_archive.version, bad.name, sha256_file(bad), "file:///"
        )
        with pytest.raises(downloads.PythonInstallFailed) as err:
            downloads.install(str(uv_bin), it, bad, tmp_path / "l.json", uv_env(tmp_path / str(n)))
        assert "absolute" in err.value.message or "_sysconfigdata_" in err.value.message
