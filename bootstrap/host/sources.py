"""Where probes read the machine from: the live machine, a recorder, or a capture.

Probes never touch ``open``, ``subprocess`` or ``os.environ`` themselves; they ask a
:class:`Source`. That one seam gives `detect --capture DIR` (record everything read) and
`detect --replay DIR` (answer every read from the capture, on any OS).

Capture directory format (version 1)::

    DIR/capture.json        the index (below)
    DIR/files/NNNN          the content of each file read
    DIR/commands/NNNN.out   stdout of each command run
    DIR/commands/NNNN.err   stderr of each command run

``capture.json``::

    {"format": 1, "tool_version": "0.1.0",
     "values":   {"platform.system": "Linux", ...},          # platform facts, JSON values
     "env":      {"WSL_DISTRO_NAME": "Ubuntu", "CI": null},   # null: unset
     "files":    {"/etc/os-release": "files/0001", "/proc/x": null},  # null: absent
     "globs":    {"/proc/sys/fs/binfmt_misc/WSLInterop*": ["..."]},
     "commands": [{"argv": ["nvidia-smi"], "returncode": 0, "stdout": "commands/0002.out",
                   "stderr": "commands/0002.err", "timed_out": false, "not_found": false}]}

A capture written by ``--capture`` records every read, including the misses (``null``),
so a replay that asks for something the capture never saw is a partial or mismatched
capture: :class:`ReplayError` names the entry. A hand-written capture (a test fixture)
may set ``"unlisted": "absent"`` to declare that anything it does not mention was
absent on that machine (no file, unset variable, command not found, no value).
"""

from __future__ import annotations

import fnmatch
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap import __version__, proc
from bootstrap.errors import ReplayError
from bootstrap.paths import make_private
from bootstrap.redact import redact_obj, redact_proxy, redact_text

FORMAT = 1
MAX_FILE_BYTES = 1 << 20
# Windows console tools whose output is not in the locale's encoding: wsl.exe writes
# UTF-16LE unless WSL_UTF8=1 is honoured (WSL 0.64+), systeminfo the OEM code page.
CONSOLE_TOOLS = ("wsl.exe", "wslconfig.exe", "systeminfo.exe")


@dataclass(frozen=True)
class Cmd:
    """A command's outcome, as a probe sees it (live, recorded or replayed)."""

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    not_found: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class Source:
    """The live machine."""

    def read(self, path: str) -> str | None:
        try:
            with open(path, "rb") as fh:  # noqa: PTH123 - paths here are strings from any OS
                return fh.read(MAX_FILE_BYTES).decode(errors="replace")
        except OSError:
            return None

    def glob(self, pattern: str) -> list[str]:
        import glob

        return sorted(glob.glob(pattern))  # noqa: PTH207 - patterns are absolute strings

    def env(self, name: str) -> str | None:
        return os.environ.get(name)

    def run(self, argv: list[str], timeout: float) -> Cmd:
        env = dict(os.environ)
        # wsl.exe writes UTF-16 unless told otherwise; LC_ALL keeps tools' output parseable.
        env.update({"WSL_UTF8": "1", "LC_ALL": "C"})
        tool = argv[0].replace("\\", "/").rsplit("/", 1)[-1].lower() if argv else ""
        decode = None
        if tool in CONSOLE_TOOLS:
            from bootstrap.host.parse import decode_console

            decode = decode_console
        r = proc.run(argv, timeout=timeout, env=env, decode=decode)
        return Cmd(r.returncode, r.stdout, r.stderr, r.timed_out, r.not_found)

    def value(self, key: str, compute: Callable[[], Any]) -> Any:
        """A platform value (``platform.system()``, free disk, ...): computed live."""
        return compute()


class Recorder(Source):
    """The live machine, writing everything read into a capture directory.

    The home directory in recorded paths (a tool in ``~/.local/bin``) is written as ``~``
    so a support bundle does not carry the user's name.
    """

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.home = str(Path.home())
        self.lock = threading.Lock()
        self.index: dict[str, Any] = {
            "format": FORMAT,
            "tool_version": __version__,
            "values": {},
            "env": {},
            "files": {},
            "globs": {},
            "commands": [],
        }
        self.counter = 0
        # A support bundle is shared on purpose, but only by its owner: 0700 / 0600, and
        # URL credentials (a proxy's password) are redacted in everything it holds.
        for sub in ("files", "commands"):
            make_private(directory / sub, levels=2)

    def _next(self) -> str:
        self.counter += 1
        return f"{self.counter:04d}"

    def _redact(self, value: Any) -> Any:
        if isinstance(value, str) and len(self.home) > 1 and value.startswith(self.home):
            rest = value[len(self.home) :]
            if not rest or rest[0] in "/\\":
                return "~" + rest
        return redact_obj(value)

    def _write(self, name: str, text: str) -> None:
        fd = os.open(self.dir / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(redact_text(text))

    def read(self, path: str) -> str | None:
        content = super().read(path)
        with self.lock:
            if content is None:
                self.index["files"][path] = None
            else:
                name = f"files/{self._next()}"
                self._write(name, content)
                self.index["files"][path] = name
        return content

    def glob(self, pattern: str) -> list[str]:
        found = super().glob(pattern)
        with self.lock:
            self.index["globs"][pattern] = found
        return found

    def env(self, name: str) -> str | None:
        value = super().env(name)
        with self.lock:
            # Every variable probes read is recorded as a proxy setting would be read: an
            # "@" in a value ends a userinfo part (a proxy password), whatever it holds.
            self.index["env"][name] = None if value is None else redact_proxy(value)
        return value

    def run(self, argv: list[str], timeout: float) -> Cmd:
        result = super().run(argv, timeout)
        with self.lock:
            n = self._next()
            self._write(f"commands/{n}.out", result.stdout)
            self._write(f"commands/{n}.err", result.stderr)
            self.index["commands"].append(
                {
                    "argv": [self._redact(a) for a in argv],
                    "returncode": result.returncode,
                    "stdout": f"commands/{n}.out",
                    "stderr": f"commands/{n}.err",
                    "timed_out": result.timed_out,
                    "not_found": result.not_found,
                }
            )
        return result

    def value(self, key: str, compute: Callable[[], Any]) -> Any:
        result = compute()
        with self.lock:
            self.index["values"][key] = self._redact(result)
        return result

    def save(self) -> None:
        with self.lock:
            text = json.dumps(self.index, indent=2, sort_keys=True)
        self._write("capture.json", text + "\n")


class Replay(Source):
    """Answers every read from a capture directory; reads nothing from this machine."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        index_path = directory / "capture.json"
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ReplayError(
                f"{index_path}: missing: not a capture directory",
                fix="pass a directory written by `bootstrap detect --capture DIR`",
                code="replay.missing_index",
            ) from None
        except (OSError, ValueError) as exc:
            raise ReplayError(
                f"{index_path}: not valid JSON ({exc})", code="replay.bad_index"
            ) from None
        except RecursionError:
            raise ReplayError(
                f"{index_path}: nested too deeply to be a capture", code="replay.bad_index"
            ) from None
        if not isinstance(index, dict):
            raise ReplayError(f"{index_path}: expected a JSON object", code="replay.bad_index")
        if index.get("format") != FORMAT:
            raise ReplayError(
                f"{index_path}: format {index.get('format')!r} is not supported "
                f"(this version reads format {FORMAT})",
                code="replay.format",
            )
        for key, kind in (("values", dict), ("env", dict), ("files", dict), ("globs", dict)):
            if not isinstance(index.get(key, {}), kind):
                raise ReplayError(
                    f"{index_path}: {key!r} must be an object", code="replay.bad_entry"
                )
        unlisted = index.get("unlisted")
        if unlisted not in (None, "absent"):
            raise ReplayError(
                f"{index_path}: 'unlisted': expected \"absent\" or no key, found {unlisted!r}",
                code="replay.bad_entry",
            )
        self.unlisted_absent = unlisted == "absent"
        self.values: dict[str, Any] = index.get("values", {})
        self.environ: dict[str, str | None] = index.get("env", {})
        self.globs: dict[str, list[str]] = index.get("globs", {})
        self.files: dict[str, str | None] = {}
        for path, ref in index.get("files", {}).items():
            self.files[path] = None if ref is None else self._content(ref, f"files[{path!r}]")
        self.commands: dict[tuple[str, ...], Cmd] = {}
        commands = index.get("commands", [])
        if not isinstance(commands, list):
            raise ReplayError(f"{index_path}: 'commands' must be a list", code="replay.bad_entry")
        for n, entry in enumerate(commands):
            where = f"commands[{n}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("argv"), list):
                raise ReplayError(
                    f"{index_path}: {where}: expected an object with an 'argv' list",
                    code="replay.bad_entry",
                )
            rc = entry.get("returncode")
            if rc is not None and not isinstance(rc, int):
                raise ReplayError(
                    f"{index_path}: {where}.returncode: expected an integer or null, found {rc!r}",
                    code="replay.bad_entry",
                )
            self.commands[tuple(entry["argv"])] = Cmd(
                rc,
                self._content(entry.get("stdout"), f"{where}.stdout"),
                self._content(entry.get("stderr"), f"{where}.stderr"),
                bool(entry.get("timed_out", False)),
                bool(entry.get("not_found", False)),
            )

    def _content(self, ref: object, where: str) -> str:
        if ref is None:
            return ""
        if not isinstance(ref, str) or ref.startswith(("/", "\\")) or ".." in Path(ref).parts:
            raise ReplayError(
                f"{self.dir / 'capture.json'}: {where}: bad reference {ref!r}",
                code="replay.bad_entry",
            )
        try:
            return (self.dir / ref).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ReplayError(
                f"{self.dir / ref}: missing (named by {where} in capture.json): "
                "the capture directory is incomplete",
                code="replay.missing_entry",
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ReplayError(
                f"{self.dir / ref}: unreadable ({exc})", code="replay.bad_entry"
            ) from None

    def _unrecorded(self, kind: str, what: str) -> None:
        if not self.unlisted_absent:
            raise ReplayError(
                f"{self.dir / 'capture.json'}: no {kind} entry for {what}: the capture is "
                "partial or was written by another version",
                fix="capture again with `bootstrap detect --capture DIR`",
                code="replay.missing_entry",
            )

    def read(self, path: str) -> str | None:
        if path not in self.files:
            self._unrecorded("files", repr(path))
        return self.files.get(path)

    def glob(self, pattern: str) -> list[str]:
        if pattern in self.globs:
            return list(self.globs[pattern])
        self._unrecorded("globs", repr(pattern))
        return sorted(
            p for p, c in self.files.items() if c is not None and fnmatch.fnmatch(p, pattern)
        )

    def env(self, name: str) -> str | None:
        if name not in self.environ:
            self._unrecorded("env", repr(name))
        return self.environ.get(name)

    def run(self, argv: list[str], timeout: float) -> Cmd:
        found = self.commands.get(tuple(argv))
        if found is None:
            self._unrecorded("commands", repr(" ".join(argv)))
            return Cmd(None, "", "", not_found=True)
        return found

    def value(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.values:
            self._unrecorded("values", repr(key))
        return self.values.get(key)
