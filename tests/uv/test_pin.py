"""The uv pin: its format, and `bootstrap uv pin` moving it from published checksums."""

from __future__ import annotations

import json
import shutil
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from support.cli import invoke
from support.servers import serve_directory

from bootstrap.errors import ConfigError
from bootstrap.uv import pin as pinmod
from bootstrap.uv.publish import published, wheel_for

REPO = Path(__file__).resolve().parent.parent.parent
FIXTURE = Path(__file__).with_name("fixtures") / "pypi-simple-uv-0.13.9.json"


def test_committed_pin_is_canonical_and_complete() -> None:
    text = pinmod.PIN_FILE.read_text()
    pin = pinmod.parse(text, "pin.txt")
    assert text == pinmod.HEADER + pinmod.render(pin)
    assert {a.triple for a in pin.artifacts if a.kind == "wheel"} == set(pinmod.TRIPLES)
    assert f'required-version = "=={pin.version}"' in (REPO / "pyproject.toml").read_text()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("version", "'version <uv version>'"),
        ("wheel x86_64-unknown-linux-gnu a.whl abc", "a sha256 of 64 lowercase hex digits"),
        ("wheel sparc-sun-solaris a.whl " + "a" * 64, "a triple among"),
        ("wheel x86_64-unknown-linux-gnu ../a.whl " + "a" * 64, "a plain file name"),
        ("archive x86_64-unknown-linux-gnu a.tar.gz", "'archive <triple> <file name> <sha256>'"),
        ("checksum foo", "a line starting with 'version'"),
    ],
)
def test_malformed_lines_name_file_line_and_expectation(line: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        pinmod.parse(f"version 1.0\n{line}\n", "my-pin.txt")
    assert err.value.message.startswith("my-pin.txt, line 2: expected ")
    assert expected in err.value.message
    assert repr(line) in err.value.message


def test_missing_version_and_duplicates() -> None:
    with pytest.raises(ConfigError, match="no 'version' line"):
        pinmod.parse("# nothing\n", "p")
    sha = "b" * 64
    dup = (
        f"version 1\nwheel x86_64-apple-darwin a.whl {sha}\nwheel x86_64-apple-darwin b.whl {sha}\n"
    )
    with pytest.raises(ConfigError, match="repeats"):
        pinmod.parse(dup, "p")


def test_unreadable_override_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the uv pin") as err:
        pinmod.load({"BOOTSTRAP_UV_PIN_FILE": str(tmp_path / "missing.txt")})
    assert "BOOTSTRAP_UV_PIN_FILE" in (err.value.fix or "")


def test_wheel_for_prefers_the_most_specific_build() -> None:
    names = [f["filename"] for f in json.loads(FIXTURE.read_text())["files"]]
    assert wheel_for("aarch64-unknown-linux-gnu", names) == (
        "uv-0.13.9-py3-none-manylinux_2_28_aarch64.whl"
    )
    assert wheel_for("aarch64-unknown-linux-musl", names) == (
        "uv-0.13.9-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64.whl"
    )
    assert wheel_for("x86_64-pc-windows-msvc", names) == "uv-0.13.9-py3-none-win_amd64.whl"


def _index_root(tmp_path: Path) -> Path:
    root = tmp_path / "served"
    (root / "simple" / "uv").mkdir(parents=True)
    shutil.copy(FIXTURE, root / "simple" / "uv" / "index.json")
    return root


def _json_index(handler: BaseHTTPRequestHandler) -> bool:
    if handler.path == "/simple/uv/":
        handler.path = "/simple/uv/index.json"
    return False


def test_published_checksums_reproduce_the_committed_pin(tmp_path: Path) -> None:
    with serve_directory(_index_root(tmp_path), hook=_json_index) as srv:
        got = published(
            "0.13.9",
            json_api=f"{srv.url}/pypi",  # answers 404: falls back to the simple index
            index=f"{srv.url}/simple",
            release="http://127.0.0.1:9/releases",  # unreachable: archives left out
        )
    committed = pinmod.load({})
    assert got.pin.artifacts == committed.artifacts
    assert any("release archives left out" in note for note in got.notes)


def _repo_copy(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "bootstrap" / "uv").mkdir(parents=True)
    for name in ("install.sh", "install.ps1", "pyproject.toml"):
        shutil.copy(REPO / name, repo / name)
    old = "version 0.13.8\nwheel x86_64-unknown-linux-gnu uv-0.13.8-x.whl " + "c" * 64 + "\n"
    (repo / "bootstrap" / "uv" / "pin.txt").write_text(old)
    for name in ("install.sh", "install.ps1"):
        path = repo / name
        path.write_text(
            pinmod.embed(path.read_text(), old, powershell=name.endswith("ps1"), origin=name)
        )
    py = repo / "pyproject.toml"
    py.write_text(
        py.read_text().replace('required-version = "==0.13.9"', 'required-version = "==0.13.8"')
    )
    return repo


def test_pin_command_moves_pin_installers_and_pyproject(tmp_path: Path) -> None:
    repo = _repo_copy(tmp_path)
    release = tmp_path / "served" / "releases" / "0.13.9"
    release.mkdir(parents=True)
    # The release publishes one .sha256 file (for one triple): that archive gets pinned.
    (release / "uv-x86_64-unknown-linux-gnu.tar.gz.sha256").write_text(
        "d" * 64 + "  uv-x86_64-unknown-linux-gnu.tar.gz\n"
    )
    with serve_directory(_index_root(tmp_path), hook=_json_index) as srv:
        args = [
            "uv", "pin", "0.13.9", "--yes", "--repo", str(repo),
            "--json-api", f"{srv.url}/pypi", "--index-url", f"{srv.url}/simple",
            "--release-url", f"{srv.url}/releases",
        ]  # fmt: skip
        res = invoke(*args)
    assert res.exit_code == 0, res.output
    assert "-version 0.13.8" in res.output and "+version 0.13.9" in res.output
    new = pinmod.load({"BOOTSTRAP_UV_PIN_FILE": str(repo / "bootstrap" / "uv" / "pin.txt")})
    assert new.version == "0.13.9"
    archive = new.for_triple("x86_64-unknown-linux-gnu", "archive")
    assert archive is not None and archive.sha256 == "d" * 64
    assert new.for_triple("aarch64-apple-darwin", "archive") is None  # not published: left out
    for name in ("install.sh", "install.ps1"):
        embedded = pinmod.embedded((repo / name).read_text(), name)
        assert embedded == pinmod.pin_lines((repo / "bootstrap" / "uv" / "pin.txt").read_text())
    assert 'required-version = "==0.13.9"' in (repo / "pyproject.toml").read_text()
    assert (repo / "install.sh").stat().st_mode & 0o111


def test_pin_command_asks_before_writing(tmp_path: Path) -> None:
    repo = _repo_copy(tmp_path)
    before = (repo / "bootstrap" / "uv" / "pin.txt").read_text()
    with serve_directory(_index_root(tmp_path), hook=_json_index) as srv:
        args = [
            "uv", "pin", "0.13.9", "--repo", str(repo), "--json-api", f"{srv.url}/pypi",
            "--index-url", f"{srv.url}/simple", "--release-url", "http://127.0.0.1:9/r",
        ]  # fmt: skip
        res = invoke(*args, input="n\n")
    assert res.exit_code == 1
    assert (repo / "bootstrap" / "uv" / "pin.txt").read_text() == before


def test_unknown_version_is_a_clear_error(tmp_path: Path) -> None:
    with serve_directory(_index_root(tmp_path), hook=_json_index) as srv:
        args = [
            "uv", "pin", "9.9.9", "--repo", str(_repo_copy(tmp_path)),
            "--json-api", f"{srv.url}/pypi", "--index-url", f"{srv.url}/simple",
        ]  # fmt: skip
        res = invoke(*args)
    assert res.exit_code != 0
    assert "no published uv 9.9.9 wheels found" in str(res.exception or res.output)


@pytest.mark.network
def test_real_pypi_publishes_the_pinned_checksums() -> None:
    got = published("0.13.9", release=None)
    assert got.pin.artifacts == pinmod.load({}).artifacts
