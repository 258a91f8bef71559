"""Check (d): one uv version everywhere.

The pin (``bootstrap/uv/pin.txt``) is the source of truth; every other place that names
a uv version must name the same one: pyproject's ``[tool.uv] required-version``, the
copies embedded in install.sh and install.ps1, and the CI configuration the repository
has (GitHub Actions ``astral-sh/setup-uv`` ``version:``, GitLab CI, pre-commit's
``uv-pre-commit`` ``rev:``, and ``uv==X`` / ``astral.sh/uv/X/install.sh`` /
``ghcr.io/astral-sh/uv:X`` / ``UV_VERSION`` wherever CI installs uv).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bootstrap.files import TOMLDecodeError, parse_toml
from bootstrap.policy.findings import Finding
from bootstrap.policy.scan import ci_files, rel

PIN_FILE = Path("bootstrap") / "uv" / "pin.txt"
_VERSION = r"v?(\d+\.\d+\.\d+)"
# Ways CI configurations install a given uv (each captures the version).
INSTALL_PATTERNS = (
    re.compile(r"\buv==" + _VERSION),
    re.compile(r"astral\.sh/uv/" + _VERSION + r"/install"),
    re.compile(r"astral-sh/uv:" + _VERSION),
    re.compile(r"\bUV_VERSION\s*[:=]\s*[\"']?" + _VERSION),
)
_SETUP_UV = re.compile(r"uses:\s*[\"']?astral-sh/setup-uv@")
_YAML_VERSION = re.compile(r"^\s*version:\s*[\"']?" + _VERSION)
_UV_PRE_COMMIT = re.compile(r"repo:\s*[\"']?https://github\.com/astral-sh/uv-pre-commit")
_REV = re.compile(r"^\s*rev:\s*[\"']?" + _VERSION)


@dataclass(frozen=True)
class Mention:
    file: str
    line: int | None
    version: str | None  # None: the place installs uv without naming a version
    what: str


def pinned_version(root: Path) -> tuple[str, str]:
    """The pin's version and the file it came from (the root's pin, else the tool's)."""
    from bootstrap.uv.pin import load, parse

    path = root / PIN_FILE
    if path.is_file():
        return parse(path.read_text(encoding="utf-8"), str(path)).version, rel(path, root)
    return load().version, "bootstrap/uv/pin.txt"


def mentions(root: Path, extra_projects: tuple[Path, ...] = ()) -> Iterator[Mention]:
    seen: set[Path] = set()
    for base in (root, *extra_projects):
        py = base / "pyproject.toml"
        if py.is_file() and py.resolve() not in seen:
            seen.add(py.resolve())
            yield from _pyproject(py, root)
    for name in ("install.sh", "install.ps1"):
        path = root / name
        if path.is_file():
            yield from _installer(path, root)
    for path in ci_files(root):
        yield from _ci(path, root)


def check(root: Path, extra_projects: tuple[Path, ...] = ()) -> list[Finding]:
    version, source = pinned_version(root)
    out = []
    for m in mentions(root, extra_projects):
        if m.version == version:
            continue
        if m.version is None:
            message = f"{m.what} installs uv without a version (the latest, whatever it is)"
        else:
            message = f"{m.what} says uv {m.version}; the pin ({source}) says {version}"
        out.append(Finding("uv-pin", message, _fix(m, version), m.file, m.line))
    return out


def _fix(m: Mention, version: str) -> str:
    if m.file.endswith(("install.sh", "install.ps1")):
        return "re-embed the pin: `bootstrap uv pin --sync`"
    if m.file.endswith("pyproject.toml"):
        return f'set `required-version = "=={version}"` under [tool.uv]'
    return f"name uv {version} there (or move the pin: `bootstrap uv pin VERSION`)"


def _pyproject(path: Path, root: Path) -> Iterator[Mention]:
    text = path.read_text(encoding="utf-8")
    try:
        required = parse_toml(text).get("tool", {}).get("uv", {}).get("required-version")
    except TOMLDecodeError:
        return
    if required is None:
        return
    line = next(
        (i + 1 for i, ln in enumerate(text.splitlines()) if ln.strip().startswith("required-")),
        None,
    )
    m = re.fullmatch(r"\s*(==)?\s*" + _VERSION + r"\s*", str(required))
    what = f"[tool.uv] required-version {required!r}"
    yield Mention(rel(path, root), line, m.group(2) if m else f"{required} (a range)", what)


def _installer(path: Path, root: Path) -> Iterator[Mention]:
    from bootstrap.policy.scan import read_lines
    from bootstrap.uv.pin import SH_BEGIN

    lines = read_lines(path)
    start = next((i for i, ln in enumerate(lines) if ln.strip() == SH_BEGIN), None)
    if start is None:
        return
    for i in range(start, len(lines)):
        m = re.match(r"^version\s+" + _VERSION + r"\s*$", lines[i])
        if m:
            yield Mention(rel(path, root), i + 1, m.group(1), "the embedded uv pin")
            return


def _ci(path: Path, root: Path) -> Iterator[Mention]:
    from bootstrap.policy.scan import read_lines

    lines = read_lines(path)
    shown = rel(path, root)
    for i, ln in enumerate(lines):
        if ln.lstrip().startswith("#"):
            continue
        for pattern in INSTALL_PATTERNS:
            for m in pattern.finditer(ln):
                yield Mention(shown, i + 1, m.group(1), "uv installed here")
        if _SETUP_UV.search(ln):
            found = _step_value(lines, i, _YAML_VERSION)
            yield Mention(shown, found[0], found[1], "astral-sh/setup-uv")
        if _UV_PRE_COMMIT.search(ln):
            found = _step_value(lines, i, _REV)
            yield Mention(shown, found[0], found[1], "the uv-pre-commit hook's rev")


def _step_value(lines: list[str], start: int, pattern: re.Pattern[str]) -> tuple[int, str | None]:
    """The value ``pattern`` finds in the YAML list item that starts at or holds line
    ``start``: the lines after it that are indented deeper than the item's dash."""
    head = lines[start]
    dash = head.find("- ")
    # `- uses: ...` starts the item; a bare `uses:` sits inside one with its siblings.
    indent = dash if dash >= 0 else len(head) - len(head.lstrip()) - 1
    for j in range(start, min(len(lines), start + 40)):
        ln = lines[j]
        if j > start and ln.strip():
            own = len(ln) - len(ln.lstrip())
            if own <= indent:
                break
        m = pattern.match(ln)
        if m:
            return j + 1, m.group(1)
    return start + 1, None
