"""install.sh, install.ps1 and the pin file agree; install.ps1 parses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.uv import pin as pinmod

REPO = Path(__file__).resolve().parent.parent.parent
SH = REPO / "install.sh"
PS1 = REPO / "install.ps1"


@pytest.mark.parametrize("script", [SH, PS1], ids=["install.sh", "install.ps1"])
def test_embedded_pin_matches_the_pin_file(script: Path) -> None:
    embedded = pinmod.embedded(script.read_text(), script.name)
    assert embedded == pinmod.pin_lines(pinmod.PIN_FILE.read_text())


def test_pin_check_catches_drift(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["uv", "pin", "--check"]).exit_code == 0
    repo = tmp_path / "repo"
    (repo / "bootstrap" / "uv").mkdir(parents=True)
    (repo / "bootstrap" / "uv" / "pin.txt").write_text(pinmod.PIN_FILE.read_text())
    (repo / "install.sh").write_text(SH.read_text().replace("version 0.", "version 9.", 1))
    res = CliRunner().invoke(cli, ["uv", "pin", "--check", "--repo", str(repo)])
    assert res.exit_code == 1
    assert "install.sh: embedded uv pin differs" in res.output
    assert CliRunner().invoke(cli, ["uv", "pin", "--sync", "--repo", str(repo)]).exit_code == 0
    assert CliRunner().invoke(cli, ["uv", "pin", "--check", "--repo", str(repo)]).exit_code == 0


def _sh_options() -> set[str]:
    main = SH.read_text().split("main() {", 1)[1]
    found: set[str] = set()
    for alts in re.findall(r"^\s+(-[-a-z=*| ]+)\)", main, re.M):
        found |= {alt.strip().removesuffix("=*") for alt in alts.split("|")}
    return found - {"--"}  # the end-of-options marker, not an option


def _ps1_options() -> set[str]:
    found = set(re.findall(r"'\^(--[a-z-]+)[$=]'", PS1.read_text()))
    return found | {"-h", "--help"}


def test_options_are_the_same() -> None:
    sh = {o for o in _sh_options() if o.startswith("--")}
    ps1 = {o for o in _ps1_options() if o.startswith("--")}
    assert "--no-run" in sh and "--cache-bundle" in sh
    assert sh == ps1


def test_environment_variables_are_the_same() -> None:
    pattern = r"\b(BOOTSTRAP_[A-Z0-9_]+)\b"
    sh = set(re.findall(pattern, SH.read_text()))
    ps1 = set(re.findall(pattern, PS1.read_text()))
    # Only stage 0 on POSIX picks a downloader (curl or wget).
    assert sh - {"BOOTSTRAP_DOWNLOADER"} == ps1


def _parser():  # type: ignore[no-untyped-def]
    ts = pytest.importorskip("tree_sitter")
    tsp = pytest.importorskip("tree_sitter_powershell")
    return ts.Parser(ts.Language(tsp.language()))


def _errors(node) -> list[str]:  # type: ignore[no-untyped-def]
    if node.type == "ERROR" or node.is_missing:
        return [f"line {node.start_point[0] + 1}: {node.text[:60]!r}"]
    return [e for child in node.children for e in _errors(child)]


def test_install_ps1_parses() -> None:
    tree = _parser().parse(PS1.read_bytes())
    assert _errors(tree.root_node) == []


def test_the_grammar_does_catch_a_broken_script() -> None:
    broken = PS1.read_text().replace("function Get-Sha256([string]$Path) {", "function X( {", 1)
    assert _errors(_parser().parse(broken.encode()).root_node) != []
