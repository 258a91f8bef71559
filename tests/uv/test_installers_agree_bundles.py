"""install.sh and install.ps1 read a bundle's manifest the same way: as data. The rules of
this round (see test_installers_agree.py for the others), each found in both stage-0
scripts' functions that import a bundle and set up the bootstrapper from it. install.ps1
cannot run here (no PowerShell): its rules are parsed and compared, as before."""

from __future__ import annotations

import pytest
from test_installers_agree import _ps1_function, _sh_function

# (what the rule is, install.sh's form, install.ps1's form)
IMPORT_RULES = [
    ("Python versions only", "[0-9].[0-9] | [0-9].[0-9][0-9])", r"'^[0-9]\.[0-9]{1,2}$'"),
    ("member names fit NAME_MAX", '[ "${#_f}" -le 255 ]', ".Length -gt 255"),
    ("uv is the pin's file, by name", '[ "$_bart" = "uv/$_f" ]', '-eq "uv/$($art[0])"'),
    ("uv is the pin's file, by hash", "bundle.uv_checksum", "'bundle.uv_checksum'"),
    ("a full disk is no corrupt bundle", 'die_no_space "$WHEELHOUSE"', 'Fail "no space left on'),
    ("a URL is not a file", "reads a cache bundle from a file", "reads a cache bundle from a file"),
]
TOOL_RULES = [
    ("a changed wheelhouse file is named", "Hash mismatch for", "Hash mismatch for"),
    ("... with its own code", "bundle.wheelhouse_hash", "'bundle.wheelhouse_hash'"),
]


@pytest.mark.parametrize(("rule", "sh", "ps1"), IMPORT_RULES, ids=[r[0] for r in IMPORT_RULES])
def test_manifest_rules_are_the_same(rule: str, sh: str, ps1: str) -> None:
    assert sh in _sh_function("import_bundle"), rule
    assert ps1 in _ps1_function("Import-Bundle"), rule


@pytest.mark.parametrize(("rule", "sh", "ps1"), TOOL_RULES, ids=[r[0] for r in TOOL_RULES])
def test_tool_environment_rules_are_the_same(rule: str, sh: str, ps1: str) -> None:
    assert sh in _sh_function("tool_env"), rule
    assert ps1 in _ps1_function("New-ToolEnv"), rule
