"""The interpreter pin: its format, `bootstrap python pin` (official archives from the
pinned uv's own list; a file the team supplies, its layout checked), and the archive
rules uv applies, checked before uv sees an archive."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from support import cli
from support.pyarchive import PyArchive, variant

from bootstrap.errors import ConfigError, IntegrityError
from bootstrap.python import official
from bootstrap.python import pin as pinmod
from bootstrap.python.archive import check_archive

REPO = Path(__file__).resolve().parents[2]
SHA = "a" * 64


def bootstrap(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return cli.bootstrap(*args, env=env, cwd=REPO)


# -- the format --------------------------------------------------------------------------


def test_pin_round_trips_and_keeps_one_line_per_triple() -> None:
    text = (
        f"cpython x86_64-unknown-linux-gnu 3.12.16 cpython-3.12.16+20261110-x86_64-unknown-"
        f"linux-gnu-install_only_stripped.tar.gz {SHA} https://mirror.example/a.tar.gz\n"
    )
    pin = pinmod.parse(text, "pin.txt")
    (it,) = pin.interpreters
    assert (it.minor, it.member) == ("3.12", f"python/{it.filename}")
    moved = pin.with_interpreter(pinmod.Interpreter(it.triple, "3.12.17", "b.tar.gz", SHA, it.url))
    assert [i.version for i in moved.interpreters] == ["3.12.17"]
    assert pinmod.parse(pinmod.render(moved), "x") == pinmod.PythonPin(moved.interpreters, "x")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("cpython x86_64-unknown-linux-gnu 3.12.1 a.tar.gz", "'cpython <triple>"),
        (f"cpython sparc-sun-solaris 3.12.1 a.tar.gz {SHA} https://x/a", "a triple among"),
        (f"cpython x86_64-unknown-linux-gnu 3.12 a.tar.gz {SHA} https://x/a", "a CPython version"),
        (f"cpython x86_64-unknown-linux-gnu 3.12.1 ../a.tar.gz {SHA} https://x/a", "plain archive"),
        ("cpython x86_64-unknown-linux-gnu 3.12.1 a.tar.gz ABC https://x/a", "sha256 of 64"),
        (f"cpython x86_64-unknown-linux-gnu 3.12.1 a.tar.gz {SHA} ftp://x/a", "https://, http://"),
    ],
)
def test_a_malformed_pin_line_names_the_file_and_line(line: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected) as err:
        pinmod.parse(f"# header\n{line}\n", "bootstrap/python/pin.txt")
    assert "bootstrap/python/pin.txt, line 2" in err.value.message
    assert err.value.code == "python.pin_malformed"


def test_two_lines_for_one_triple_are_refused() -> None:
    line = f"cpython x86_64-unknown-linux-gnu 3.12.1 a.tar.gz {SHA} https://x/a.tar.gz\n"
    with pytest.raises(ConfigError, match="one line per triple"):
        pinmod.parse(line + line, "p")


def test_the_committed_pin_parses() -> None:
    pinmod.parse(pinmod.PIN_FILE.read_text(), str(pinmod.PIN_FILE))


# -- official archives, from the pinned uv's own list ------------------------------------


def test_uvs_embedded_list_has_a_hash_for_every_download_uv_lists(uv_bin: Path) -> None:
    entries = official.embedded_list(uv_bin)
    listed = json.loads(
        subprocess.run(
            [
                str(uv_bin),
                "python",
                "list",
                "--only-downloads",
                "--all-platforms",
                "--offline",
                "--output-format",
                "json",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    cpython = [d for d in listed if d["implementation"] == "cpython"]
    assert cpython
    names = {e["url"].rsplit("/", 1)[1] for e in entries.values() if isinstance(e, dict)}
    for d in cpython:
        # uv prints its own mirror's URL; the file is the one its list pins by hash.
        assert d["url"].rsplit("/", 1)[1] in names, d["url"]
    import re

    newest = next(
        d["version"]
        for d in cpython
        if re.fullmatch(r"\d+\.\d+\.\d+", d["version"]) and d["variant"] == "default"
    )
    for triple in official.UV_KEYS:
        got = official.find(entries, newest, triple)
        assert len(got.sha256) == 64 and got.filename.endswith(".tar.gz")
        assert triple in got.filename and "install_only" in got.filename


def test_an_official_version_uv_does_not_know_is_refused_with_the_nearest(uv_bin: Path) -> None:
    from bootstrap.errors import UserError

    with pytest.raises(UserError, match=r"has no CPython 3\.12\.99") as err:
        official.find(official.embedded_list(uv_bin), "3.12.99", "x86_64-unknown-linux-gnu")
    assert err.value.fix and "3.1" in err.value.fix


def test_pin_official_writes_the_line_without_downloading(tmp_path: Path, uv_bin: Path) -> None:
    pin = tmp_path / "pin.txt"
    env = dict(os.environ, BOOTSTRAP_PYTHON_PIN_FILE=str(pin))
    newest = official.find(official.embedded_list(uv_bin), "3.12.16", "x86_64-pc-windows-msvc")
    res = bootstrap(
        "python",
        "pin",
        "3.12.16",
        "--target",
        "windows-x86_64-cpu",
        "--uv",
        str(uv_bin),
        "--yes",
        env=env,
    )
    assert res.returncode == 0, res.stderr
    assert "not downloaded" in res.stdout
    (it,) = pinmod.parse(pin.read_text(), str(pin)).interpreters
    assert (it.triple, it.version, it.sha256) == (
        "x86_64-pc-windows-msvc",
        "3.12.16",
        newest.sha256,
    )
    assert it.url.startswith("https://github.com/astral-sh/python-build-standalone/releases/")
    again = bootstrap(
        "python",
        "pin",
        "3.12.16",
        "--target",
        "windows-x86_64-cpu",
        "--uv",
        str(uv_bin),
        env=env,
    )
    assert again.returncode == 0 and "already has" in again.stdout


# -- a file the team supplies -------------------------------------------------------------


def test_pin_a_supplied_archive_records_its_hash(tmp_path: Path, py_archive: PyArchive) -> None:
    pin = tmp_path / "pin.txt"
    env = dict(os.environ, BOOTSTRAP_PYTHON_PIN_FILE=str(pin))
    res = bootstrap(
        "python",
        "pin",
        py_archive.version,
        "--archive",
        str(py_archive.path),
        "--url",
        "https://mirror.example/pbs/" + py_archive.path.name,
        "--yes",
        env=env,
    )
    assert res.returncode == 0, res.stderr
    it = pinmod.parse(pin.read_text(), str(pin)).for_triple(py_archive.triple)
    assert it is not None and it.sha256 == py_archive.sha256
    assert it.url == "https://mirror.example/pbs/" + py_archive.path.name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"absolute_link": True}, "links to the absolute path '/etc/passwd'"),
        ({"drop_sysconfigdata": True}, "_sysconfigdata_"),
    ],
)
def test_pin_refuses_an_archive_uv_would_refuse(
    tmp_path: Path, py_archive: PyArchive, change: dict[str, bool], message: str
) -> None:
    bad = variant(py_archive, tmp_path / py_archive.path.name, **change)
    pin = tmp_path / "pin.txt"
    env = dict(os.environ, BOOTSTRAP_PYTHON_PIN_FILE=str(pin))
    res = bootstrap("python", "pin", py_archive.version, "--archive", str(bad), "--yes", env=env)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr and str(bad) in res.stderr
    assert not pin.exists()


def test_archive_rules(tmp_path: Path, py_archive: PyArchive) -> None:
    check_archive(py_archive.path, py_archive.minor)
    with pytest.raises(IntegrityError, match=r"has no python/bin/python3\.12"):
        check_archive(py_archive.path, "3.12")
    with pytest.raises(IntegrityError, match=r"python/python\.exe"):
        check_archive(py_archive.path, py_archive.minor, windows=True)
    import tarfile

    outside = tmp_path / "outside.tar.gz"
    with tarfile.open(outside, "w:gz") as tar:
        info = tarfile.TarInfo("etc/passwd")
        tar.addfile(info)
    with pytest.raises(IntegrityError, match="not under python/"):
        check_archive(outside, "3.11")
    escape = tmp_path / "escape.tar.gz"
    with tarfile.open(escape, "w:gz") as tar:
        info = tarfile.TarInfo("python/lib/up")
        info.type = tarfile.SYMTYPE
        info.linkname = "../../../etc"
        tar.addfile(info)
    with pytest.raises(IntegrityError, match="links out of python/"):
        check_archive(escape, "3.11")
    not_gz = tmp_path / "plain.tar.gz"
    not_gz.write_bytes(b"not a tar")
    with pytest.raises(IntegrityError, match=r"not a readable \.tar\.gz") as err:
        check_archive(not_gz, "3.11")
    assert err.value.code == "python.archive_corrupt"


# -- bootstrap check (d) ------------------------------------------------------------------


def test_check_d_verifies_the_interpreter_pin(tmp_path: Path, uv_bin: Path) -> None:
    from bootstrap.policy import pythonpin

    root = tmp_path / "repo"
    pin = root / "bootstrap" / "python" / "pin.txt"
    pin.parent.mkdir(parents=True)
    found = official.find(official.embedded_list(uv_bin), "3.12.16", "x86_64-unknown-linux-gnu")
    good = pinmod.Interpreter(
        "x86_64-unknown-linux-gnu", "3.12.16", found.filename, found.sha256, found.url
    )
    pin.write_text(good.line() + "\n")
    findings, notes = pythonpin.check(root, ">=3.9", uv_bin)
    assert findings == [] and notes == [
        "CPython 3.12.16 for x86_64-unknown-linux-gnu (bootstrap/python/pin.txt)"
    ]
    # A hash that is not the one uv's list publishes for that official file.
    pin.write_text(good.line().replace(found.sha256, "b" * 64) + "\n")
    (f,) = pythonpin.check(root, None, uv_bin)[0]
    assert (
        f.check == "python-pin"
        and found.sha256 in f.message
        and f.file == "bootstrap/python/pin.txt"
    )
    # A pinned version the profile's requirement excludes.
    pin.write_text(good.line() + "\n")
    (f,) = pythonpin.check(root, ">=3.13", uv_bin)[0]
    assert "does not satisfy" in f.message and ">=3.13" in f.message
    # A malformed line, named with its line number.
    pin.write_text("# header\ncpython x86_64-unknown-linux-gnu 3.12 a.tar.gz\n")
    (f,) = pythonpin.check(root, None, uv_bin)[0]
    assert f.line == 2 and "bootstrap python pin" in f.fix
