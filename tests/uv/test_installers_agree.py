"""install.sh, install.ps1 and the pin file agree; install.ps1 parses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.cli import invoke

from bootstrap.uv import pin as pinmod

REPO = Path(__file__).resolve().parent.parent.parent
SH = REPO / "install.sh"
PS1 = REPO / "install.ps1"


@pytest.mark.parametrize("script", [SH, PS1], ids=["install.sh", "install.ps1"])
def test_embedded_pin_matches_the_pin_file(script: Path) -> None:
    embedded = pinmod.embedded(script.read_text(), script.name)
    assert embedded == pinmod.pin_lines(pinmod.PIN_FILE.read_text())


def test_pin_check_catches_drift(tmp_path: Path) -> None:
    assert invoke("uv", "pin", "--check").exit_code == 0
    repo = tmp_path / "repo"
    (repo / "bootstrap" / "uv").mkdir(parents=True)
    (repo / "bootstrap" / "uv" / "pin.txt").write_text(pinmod.PIN_FILE.read_text())
    (repo / "install.sh").write_text(SH.read_text().replace("version 0.", "version 9.", 1))
    res = invoke("uv", "pin", "--check", "--repo", str(repo))
    assert res.exit_code == 1
    assert "install.sh: embedded uv pin differs" in res.output
    assert invoke("uv", "pin", "--sync", "--repo", str(repo)).exit_code == 0
    assert invoke("uv", "pin", "--check", "--repo", str(repo)).exit_code == 0


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


# ----- cache bundles (format 2): the same rules in both stage-0 scripts --------------------


def _bundle_codes(text: str) -> set[str]:
    return set(re.findall(r"\bbundle\.[a-z_]+\b", text))


def test_bundle_refusals_have_the_same_stable_codes() -> None:
    sh, ps1 = _bundle_codes(SH.read_text()), _bundle_codes(PS1.read_text())
    assert {"bundle.lock_hash", "bundle.unsafe_member", "bundle.unsafe_path"} <= sh
    assert sh == ps1


def _ps1_function(name: str) -> str:
    tree = _parser().parse(PS1.read_bytes())
    found: list[str] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        if node.type == "function_statement" and f"function {name}".encode() in node.text[:80]:
            found.append(node.text.decode())
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    assert found, f"install.ps1 has no function {name}"
    return found[0]


def _sh_function(name: str) -> str:
    text = SH.read_text()
    start = text.index(f"\n{name}() {{")
    return text[start : text.index("\n}\n", start)]


# (what the rule is, install.sh's form, install.ps1's form), both inside the functions
# that import a bundle and set up the bootstrapper's environment from it.
RULES = [
    ("uncompressed tar only", "skip=257 count=5", "GetString($head, 257, 5) -ne 'ustar'"),
    ("no sparse members", '[ "$_sum" -le "$_size" ]', "if ($sum -gt $size)"),
    ("regular files only", "grep -v '^-'", "StartsWith('-')"),
    (
        "member names",
        "uv/[A-Za-z0-9_]* | wheels/[A-Za-z0-9_]*",
        "^(uv|wheels)/[A-Za-z0-9_][A-Za-z0-9._+-]*$",
    ),
    ("no duplicates", "uniq -d", "appears twice"),
    (
        "size cap",
        "BOOTSTRAP_BUNDLE_MAX_BYTES:-34359738368",
        "'BOOTSTRAP_BUNDLE_MAX_BYTES' '34359738368'",
    ),
    ("format 2 only", '[ "$_fmt" = 2 ]', "$manifest.format -ne 2"),
    (
        "wheels against the repo lock",
        'lock_sums "$REPO/uv.lock"',
        "Get-LockSums (Join-Path $Repo 'uv.lock')",
    ),
    ("staging under wheels/.tmp/<pid>", "$WHEELHOUSE/.tmp/$$-stage0", '".tmp\\$PID-stage0"'),
]
TOOL_RULES = [
    ("runtime closure only", "--no-dev --no-emit-project", "--no-dev --no-emit-project"),
    (
        "hashes required, no index",
        "--offline --no-index --require-hashes",
        "--offline --no-index --require-hashes",
    ),
    ("no Python download", "--no-python-downloads", "--no-python-downloads"),
    ("runs from the checkout", "bootstrap-checkout.pth", "bootstrap-checkout.pth"),
]


@pytest.mark.parametrize(("rule", "sh", "ps1"), RULES, ids=[r[0] for r in RULES])
def test_bundle_import_rules_are_the_same(rule: str, sh: str, ps1: str) -> None:
    assert sh in _sh_function("import_bundle"), rule
    assert ps1 in _ps1_function("Import-Bundle"), rule


@pytest.mark.parametrize(("rule", "sh", "ps1"), TOOL_RULES, ids=[r[0] for r in TOOL_RULES])
def test_tool_environment_rules_are_the_same(rule: str, sh: str, ps1: str) -> None:
    assert sh in _sh_function("tool_env"), rule
    assert ps1 in _ps1_function("New-ToolEnv"), rule


def test_lock_hash_parsing_agrees_with_python_on_the_repo_lock(tmp_path: Path) -> None:
    """install.sh's awk (and the same regexes in install.ps1) read the same file -> hash
    pairs from uv.lock as bootstrap.cache.locks does."""
    import subprocess

    from bootstrap.cache.locks import locked_files

    lock = Path(__file__).resolve().parents[2] / "uv.lock"
    script = _sh_function("lock_sums") + "\n}\n" + f'lock_sums "{lock}"\n'
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True).stdout
    from_sh = {name: digest for digest, name in (line.split("  ") for line in out.splitlines())}
    from_py = {f.name: f.sha256 for f in locked_files(lock)}
    assert from_sh == from_py
    assert 'url = "([^"]*)"' in _ps1_function("Get-LockSums")
    assert 'hash = "sha256:([0-9a-f]+)"' in _ps1_function("Get-LockSums")
