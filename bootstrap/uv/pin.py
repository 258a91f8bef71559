"""The uv pin: one line-based file that Python, install.sh and install.ps1 all read.

Format (``bootstrap/uv/pin.txt``; ``#`` starts a comment)::

    version 0.13.9
    wheel   <triple> <file name on the package index> <sha256>
    archive <triple> <release archive file name>      <sha256>
    self    <version> <bootstrapper artifact file name> <sha256>   (optional)

A line-based format because stage 0 must parse it with nothing but POSIX sh. The two
installers carry a generated copy between marker lines (they must work piped, with no
checkout around); :func:`embed` writes those copies and ``tests/uv`` fails when they drift.
``BOOTSTRAP_UV_PIN_FILE`` points every reader at another pin (tests pin the archives
they build themselves that way).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bootstrap import platforms
from bootstrap.errors import ConfigError

PIN_FILE = Path(__file__).with_name("pin.txt")
PIN_ENV = "BOOTSTRAP_UV_PIN_FILE"

# The triples stage 0 installs (x86_64/aarch64; glibc/musl; macOS; Windows). The uv wheel
# on the index is chosen per triple by these platform-tag rules (see publish.py).
TRIPLES = platforms.UV_TRIPLES

_SHA = re.compile(r"^[0-9a-f]{64}$")
_VERSION = re.compile(r"^[0-9A-Za-z.+-]+$")
_FILE = re.compile(r"^[A-Za-z0-9._+-]+$")

HEADER = """\
# The pinned uv: its version and the SHA-256 of every artifact stage 0 may install.
# One source of truth: install.sh and install.ps1 embed a generated copy of these lines.
# Move the pin with `bootstrap uv pin VERSION`, never by hand.
#   wheel   <triple> <file name on the package index> <sha256>   (from the index's JSON API)
#   archive <triple> <release archive file name> <sha256>        (from the release's .sha256 files)
#   self    <version> <bootstrapper file name> <sha256>          (optional: what piped runs fetch)
"""


@dataclass(frozen=True)
class Artifact:
    kind: str  # "wheel" | "archive"
    triple: str
    filename: str
    sha256: str


@dataclass(frozen=True)
class SelfArtifact:
    version: str
    filename: str
    sha256: str


@dataclass(frozen=True)
class Pin:
    version: str
    artifacts: tuple[Artifact, ...]
    self_artifacts: tuple[SelfArtifact, ...] = field(default=())
    origin: str = "<pin>"

    def for_triple(self, triple: str, kind: str) -> Artifact | None:
        for art in self.artifacts:
            if art.triple == triple and art.kind == kind:
                return art
        return None

    def by_sha(self, sha256: str) -> Artifact | None:
        for art in self.artifacts:
            if art.sha256 == sha256:
                return art
        return None


def parse(text: str, origin: str = "<pin>") -> Pin:
    """Parse pin lines; every malformed line is an error naming the file and the line."""
    version: str | None = None
    arts: list[Artifact] = []
    selfs: list[SelfArtifact] = []
    seen: set[tuple[str, str]] = set()
    for num, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        where = f"{origin}, line {num}"

        def bad(expected: str, where: str = where, raw: str = raw) -> ConfigError:
            return ConfigError(
                f"{where}: expected {expected}, found {raw.strip()!r}",
                fix=f"restore the pin with `bootstrap uv pin VERSION` or fix {origin}",
                code="uv.pin_malformed",
            )

        kind = words[0]
        if kind == "version":
            if len(words) != 2 or not _VERSION.match(words[1]):
                raise bad("'version <uv version>'")
            if version is not None:
                raise bad("a single 'version' line")
            version = words[1]
        elif kind in ("wheel", "archive"):
            if len(words) != 4:
                raise bad(f"'{kind} <triple> <file name> <sha256>'")
            _, triple, filename, sha = words
            if triple not in TRIPLES:
                raise bad(f"a triple among {', '.join(TRIPLES)}")
            if not _FILE.match(filename):
                raise bad("a plain file name (no slashes or spaces)")
            if not _SHA.match(sha):
                raise bad("a sha256 of 64 lowercase hex digits")
            if (kind, triple) in seen:
                raise bad(f"one '{kind}' line per triple ({triple} repeats)")
            seen.add((kind, triple))
            arts.append(Artifact(kind, triple, filename, sha))
        elif kind == "self":
            if len(words) != 4 or not _FILE.match(words[2]) or not _SHA.match(words[3]):
                raise bad("'self <version> <file name> <sha256>'")
            selfs.append(SelfArtifact(words[1], words[2], words[3]))
        else:
            raise bad("a line starting with 'version', 'wheel', 'archive' or 'self'")
    if version is None:
        raise ConfigError(
            f"{origin}: no 'version' line",
            fix="restore the pin with `bootstrap uv pin VERSION`",
            code="uv.pin_malformed",
        )
    return Pin(version, tuple(arts), tuple(selfs), origin)


def render(pin: Pin) -> str:
    """The canonical text of a pin (sorted, so diffs stay small)."""
    lines = [f"version {pin.version}"]
    for art in sorted(pin.artifacts, key=lambda a: (a.kind != "wheel", a.triple)):
        lines.append(f"{art.kind} {art.triple} {art.filename} {art.sha256}")
    for s in pin.self_artifacts:
        lines.append(f"self {s.version} {s.filename} {s.sha256}")
    return "\n".join(lines) + "\n"


def pin_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    override = env.get(PIN_ENV)
    return Path(override) if override else PIN_FILE


def load(environ: Mapping[str, str] | None = None) -> Pin:
    path = pin_path(environ)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the uv pin {path}: {exc.strerror or exc}",
            fix=f"unset {PIN_ENV} or point it at a readable pin file",
            code="uv.pin_missing",
        ) from exc
    return parse(text, str(path))


def pin_lines(text: str) -> str:
    """The meaningful lines of a pin file (comments and blanks dropped)."""
    out = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    return "".join(ln + "\n" for ln in out if ln)


# The installers' embedded copies sit between these marker lines.
SH_BEGIN = "# >>> uv pin: generated from bootstrap/uv/pin.txt; do not edit >>>"
SH_END = "# <<< uv pin <<<"


def sh_block(pin_text: str) -> str:
    return f"{SH_BEGIN}\nPIN_DATA='\n{pin_lines(pin_text)}'\n{SH_END}"


def ps1_block(pin_text: str) -> str:
    return f"{SH_BEGIN}\n$PinData = @'\n{pin_lines(pin_text)}'@\n{SH_END}"


def embedded(script_text: str, origin: str) -> str:
    """The pin lines embedded in an installer script."""
    start = script_text.find(SH_BEGIN)
    end = script_text.find(SH_END)
    if start < 0 or end < start:
        raise ConfigError(
            f"{origin}: no embedded uv pin between the marker lines",
            fix="regenerate it with `bootstrap uv pin --sync`",
            code="uv.pin_markers",
        )
    body = script_text[start + len(SH_BEGIN) : end]
    inner = body.split("\n", 2)[2] if body.count("\n") >= 2 else ""
    inner = inner.rsplit("'", 1)[0]
    return pin_lines(inner)


def embed(script_text: str, pin_text: str, *, powershell: bool, origin: str) -> str:
    """``script_text`` with its embedded pin replaced by ``pin_text``'s lines."""
    start = script_text.find(SH_BEGIN)
    end = script_text.find(SH_END)
    if start < 0 or end < start:
        raise ConfigError(
            f"{origin}: no marker lines to embed the uv pin between",
            fix=f"restore the '{SH_BEGIN}' and '{SH_END}' lines",
            code="uv.pin_markers",
        )
    block = ps1_block(pin_text) if powershell else sh_block(pin_text)
    return script_text[:start] + block + script_text[end + len(SH_END) :]
