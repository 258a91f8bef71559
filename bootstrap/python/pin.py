"""The interpreter pin: one line-based file that Python, install.sh and install.ps1 read.

Format (``bootstrap/python/pin.txt``; ``#`` starts a comment)::

    cpython <triple> <version> <archive file name> <sha256> <source url>

One line per platform triple (the uv pin's triples: ``x86_64-unknown-linux-gnu``,
``aarch64-apple-darwin``, ``x86_64-pc-windows-msvc`` ...). The SHA-256 is the only thing
that vouches for an archive: a bundle's ``python/<file>`` member must have it (checked
by pack, verify, import and stage 0), and the downloads list uv installs from is written
from this line with that hash, so uv checks it once more. Line-based because stage 0
parses it with POSIX sh. ``BOOTSTRAP_PYTHON_PIN_FILE`` points every reader at another
pin (tests pin the interpreter archive they build that way).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bootstrap.errors import ConfigError
from bootstrap.uv.pin import TRIPLES

PIN_FILE = Path(__file__).with_name("pin.txt")
PIN_ENV = "BOOTSTRAP_PYTHON_PIN_FILE"
REL_PATH = "bootstrap/python/pin.txt"

_SHA = re.compile(r"^[0-9a-f]{64}$")
_VERSION = re.compile(r"^3\.[0-9]{1,2}\.[0-9]{1,3}$")
# The bundle's member-name alphabet (a `+` is allowed: official names carry one).
_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+-]*\.(tar\.gz|tar\.zst|tgz)$")
_URL = re.compile(r"^(https://|http://|file:///)[!-~]+$")

HEADER = """\
# The pinned Python interpreters a cache bundle may carry (`bootstrap cache pack --with-python`),
# for machines with no Python at all. The SHA-256 is what vouches for an archive: a bundle's
# python/<file> must match it, and uv installs it offline from a downloads list made from
# these lines. Move the pin with `bootstrap python pin VERSION [--target KEY] [--archive FILE|URL]`.
#   cpython <triple> <version> <archive file name> <sha256> <source url>
"""


@dataclass(frozen=True)
class Interpreter:
    triple: str
    version: str  # "3.12.16"
    filename: str
    sha256: str
    url: str

    @property
    def minor(self) -> str:
        """``"3.12"``: what the bundle's wheels and uv's requests name."""
        return ".".join(self.version.split(".")[:2])

    @property
    def member(self) -> str:
        """The bundle member that carries it."""
        return f"python/{self.filename}"

    def line(self) -> str:
        return f"cpython {self.triple} {self.version} {self.filename} {self.sha256} {self.url}"


@dataclass(frozen=True)
class PythonPin:
    interpreters: tuple[Interpreter, ...]
    origin: str = "<pin>"

    def for_triple(self, triple: str) -> Interpreter | None:
        for it in self.interpreters:
            if it.triple == triple:
                return it
        return None

    def with_interpreter(self, new: Interpreter) -> PythonPin:
        rest = [it for it in self.interpreters if it.triple != new.triple]
        return PythonPin(tuple(sorted([*rest, new], key=lambda i: i.triple)), self.origin)


def _bad(origin: str, num: int, expected: str, raw: str) -> ConfigError:
    return ConfigError(
        f"{origin}, line {num}: expected {expected}, found {raw.strip()!r}",
        fix=f"pin it again with `bootstrap python pin VERSION --target KEY` or fix {origin}",
        code="python.pin_malformed",
    )


def parse(text: str, origin: str = "<pin>") -> PythonPin:
    """Parse pin lines; every malformed line is an error naming the file and the line."""
    found: list[Interpreter] = []
    seen: set[str] = set()
    for num, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] != "cpython" or len(words) != 6:
            raise _bad(origin, num, "'cpython <triple> <version> <file name> <sha256> <url>'", raw)
        _, triple, version, filename, sha, url = words
        if triple not in TRIPLES:
            raise _bad(origin, num, f"a triple among {', '.join(TRIPLES)}", raw)
        if not _VERSION.match(version):
            raise _bad(origin, num, "a CPython version like 3.12.7", raw)
        if not _FILE.match(filename) or ".." in filename:
            raise _bad(origin, num, "a plain archive file name (.tar.gz, .tar.zst)", raw)
        if not _SHA.match(sha):
            raise _bad(origin, num, "a sha256 of 64 lowercase hex digits", raw)
        if not _URL.match(url):
            raise _bad(origin, num, "an https://, http:// or file:/// URL without spaces", raw)
        if triple in seen:
            raise _bad(origin, num, f"one line per triple ({triple} repeats)", raw)
        seen.add(triple)
        found.append(Interpreter(triple, version, filename, sha, url))
    return PythonPin(tuple(found), origin)


def render(pin: PythonPin) -> str:
    """The file's canonical text (header, then lines sorted by triple)."""
    body = "".join(it.line() + "\n" for it in sorted(pin.interpreters, key=lambda i: i.triple))
    return HEADER + body


def pin_path(environ: Mapping[str, str] | None = None, root: Path | None = None) -> Path:
    """The pin file: ``BOOTSTRAP_PYTHON_PIN_FILE``, else ``root``'s (a repository), else
    this checkout's."""
    env = os.environ if environ is None else environ
    override = env.get(PIN_ENV)
    if override:
        return Path(override)
    if root is not None:
        return root / REL_PATH
    return PIN_FILE


def load(
    environ: Mapping[str, str] | None = None, root: Path | None = None, *, missing_ok: bool = False
) -> PythonPin:
    """The pin; a missing file is an empty pin (no interpreter pinned), except a file
    ``BOOTSTRAP_PYTHON_PIN_FILE`` names (unless ``missing_ok``: the pin is being made)."""
    path = pin_path(environ, root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if not missing_ok and (environ if environ is not None else os.environ).get(PIN_ENV):
            raise ConfigError(
                f"cannot read the Python pin {path}: no such file",
                fix=f"unset {PIN_ENV} or point it at a pin file",
                code="python.pin_missing",
            ) from None
        return PythonPin((), str(path))
    except OSError as exc:
        raise ConfigError(
            f"cannot read the Python pin {path}: {exc.strerror or exc}",
            fix=f"make {path} readable",
            code="python.pin_missing",
        ) from exc
    return parse(text, str(path))
