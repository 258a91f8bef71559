"""install.sh and install.ps1 take the bundled interpreter the same way (install.ps1
cannot run here: no PowerShell; it is parsed, and its rules compared with install.sh's,
function by function, as tests/uv/test_installers_agree.py does for the rest)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SH = REPO / "install.sh"
PS1 = REPO / "install.ps1"


def _sh_function(name: str) -> str:
    text = SH.read_text()
    start = text.index(f"\n{name}() {{")
    return text[start : text.index("\n}\n", start)]


def _ps1_function(name: str) -> str:
    ts = pytest.importorskip("tree_sitter")
    tsp = pytest.importorskip("tree_sitter_powershell")
    tree = ts.Parser(ts.Language(tsp.language())).parse(PS1.read_bytes())
    found: list[str] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        if node.type == "function_statement" and f"function {name}".encode() in node.text[:80]:
            found.append(node.text.decode())
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    assert found, f"install.ps1 has no function {name}"
    return found[0]


# (rule, install.sh function, its form, install.ps1 function, its form)
RULES = [
    (
        "the pin file",
        "python_pin",
        "bootstrap/python/pin.txt",
        "Read-PythonPin",
        "bootstrap\\python\\pin.txt",
    ),
    (
        "the pin's override",
        "python_pin",
        "BOOTSTRAP_PYTHON_PIN_FILE",
        "Read-PythonPin",
        "BOOTSTRAP_PYTHON_PIN_FILE",
    ),
    (
        "python/ members",
        "import_bundle",
        "python/[A-Za-z0-9_]*",
        "Import-Bundle",
        "^python/[A-Za-z0-9_][A-Za-z0-9._+-]*$",
    ),
    (
        "only the pinned file",
        "bundle_python",
        "bundle.python_unpinned",
        "Import-BundlePython",
        "bundle.python_unpinned",
    ),
    (
        "the pin's hash, before uv",
        "bundle_python",
        "bundle.python_checksum",
        "Import-BundlePython",
        "bundle.python_checksum",
    ),
    (
        "a carried list is never used",
        "bundle_python",
        "it is never used",
        "Import-BundlePython",
        "it is never used",
    ),
    (
        "kept where the list points",
        "bundle_python",
        '"$DATA/python/$PY_FILE"',
        "Import-BundlePython",
        "Join-Path $Data 'python'",
    ),
    (
        "offline install from the list",
        "python_install",
        "--offline python install --no-bin --python-downloads-json-url",
        "Install-BundlePython",
        "--offline python install --no-bin --python-downloads-json-url",
    ),
    (
        "the list carries the pin's hash",
        "python_install",
        '"sha256": "%s"',
        "Install-BundlePython",
        "sha256 = $Py.Sha",
    ),
    (
        "mirror variables unset",
        "python_install",
        "UV_PYTHON_INSTALL_MIRROR UV_PYPY_INSTALL_MIRROR UV_PYTHON_DOWNLOADS_JSON_URL "
        "UV_PYTHON_CACHE_DIR",
        "Install-BundlePython",
        "'UV_PYTHON_INSTALL_MIRROR', 'UV_PYPY_INSTALL_MIRROR', "
        "'UV_PYTHON_DOWNLOADS_JSON_URL', 'UV_PYTHON_CACHE_DIR'",
    ),
    (
        "a failed install is undone",
        "python_install",
        "python uninstall",
        "Install-BundlePython",
        "'python', 'uninstall'",
    ),
    (
        "the environment on it",
        "python_install",
        '--managed-python --allow-existing --python "$PY_VERSION"',
        "New-ToolEnv",
        "--managed-python --allow-existing --python $Imported.Python.Version",
    ),
    ("no Python at all", "tool_env", "bundle.no_python", "New-ToolEnv", "bundle.no_python"),
]


@pytest.mark.parametrize(("rule", "sh_fn", "sh", "ps1_fn", "ps1"), RULES, ids=[r[0] for r in RULES])
def test_bundled_python_rules_are_the_same(
    rule: str, sh_fn: str, sh: str, ps1_fn: str, ps1: str
) -> None:
    assert sh in _sh_function(sh_fn), rule
    assert ps1 in _ps1_function(ps1_fn), rule


def test_the_refusal_codes_are_the_same() -> None:
    codes = re.compile(r"\b(?:bundle|python)\.(?:python\w*|no_python|install_failed)\b")
    assert set(codes.findall(SH.read_text())) == set(codes.findall(PS1.read_text()))
    assert {"bundle.python_checksum", "bundle.python_unpinned", "bundle.no_python"} <= set(
        codes.findall(SH.read_text())
    )


@pytest.mark.parametrize("shell", ["dash", "sh"])
@pytest.mark.parametrize(
    ("sha", "pinned"),
    [("a" * 64, True), ("null", False), ("", False), ("A" * 64, False), ("a" * 63, False)],
)
def test_stage0_reads_only_a_pin_line_with_a_real_sha256(
    tmp_path: Path, shell: str, sha: str, pinned: bool
) -> None:
    """A pin line whose hash is missing, null or malformed pins nothing in stage 0: the
    list uv gets is written from the pin and always carries a real SHA-256."""
    import shutil
    import subprocess

    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    pin = tmp_path / "pin.txt"
    pin.write_text(f"cpython x86_64-unknown-linux-gnu 3.11.2 a.tar.gz {sha} file:///a.tar.gz\n")
    script = (
        "TRIPLE=x86_64-unknown-linux-gnu\n"
        + _sh_function("python_pin")
        + '\n}\npython_pin\nprintf "%s|%s|%s" "$PY_VERSION" "$PY_FILE" "$PY_SHA"\n'
    )
    out = subprocess.run(
        [shell, "-c", script],
        env={"PATH": "/usr/bin:/bin", "BOOTSTRAP_PYTHON_PIN_FILE": str(pin)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == (f"3.11.2|a.tar.gz|{sha}" if pinned else "||")
