"""The wsl2 strategy's transport: ``wsl.exe -d <distro> -- sh -lc '<command>'``.

``wsl.exe`` hands everything after ``--`` to the distro's default shell as one command
line, so the command is quoted once for that shell; ``sh -lc`` then runs it as a login
shell (``~/.profile`` puts ``~/.local/bin`` on PATH, where stage 0 installs uv).
Environment variables reach the distro only when WSLENV names them, so the handoff's
values travel that way, not in the command line.

The repository and the bundle are copied by the distro itself, reading the Windows
drives WSL mounts under ``/mnt/<drive>`` (``C:\\Users\\a\\b`` is ``/mnt/c/Users/a/b``):
one local copy into the distro's own filesystem, where file I/O is several times faster
than on ``/mnt/c``.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath

from bootstrap import proc
from bootstrap.errors import EXIT_UNREACHABLE, ActionRequired, BootstrapError, UserError
from bootstrap.transports.base import CommandTransport, home_word

# A folder on this machine that plays a Windows drive, as "c=/path;d=/path": lets the
# Windows side be driven from a capture on Linux (tests, support). Unset on Windows.
DRIVES_VAR = "BOOTSTRAP_WSL_DRIVES"
# wsl.exe writes its own messages in UTF-16LE unless WSL_UTF8=1 (WSL 0.64 and newer).
WSL_ENV = {"WSL_UTF8": "1"}
NO_DISTRO = ("WSL_E_DISTRO_NOT_FOUND", "There is no distribution with the supplied name")


class Unreachable(BootstrapError):
    exit_code = EXIT_UNREACHABLE


def windows_to_wsl(path: str) -> str | None:
    """``C:\\Users\\a\\b`` -> ``/mnt/c/Users/a/b``; None for a path WSL does not mount
    under /mnt (a UNC share, a relative path)."""
    win = PureWindowsPath(path)
    drive = win.drive
    if not re.fullmatch(r"[A-Za-z]:", drive) or not win.root:
        return None
    rest = "/".join(win.parts[1:])
    return f"/mnt/{drive[0].lower()}" + (f"/{rest}" if rest else "")


def drive_roots(environ: Mapping[str, str]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for item in environ.get(DRIVES_VAR, "").split(";"):
        letter, sep, root = item.partition("=")
        if sep and re.fullmatch(r"[A-Za-z]", letter.strip()) and root.strip():
            out[letter.strip().lower()] = Path(root.strip())
    return out


def local_to_wsl(path: Path, environ: Mapping[str, str] | None = None) -> str | None:
    """This machine's ``path`` as the distro sees it, or None when it is not on a drive."""
    env = os.environ if environ is None else environ
    for letter, root in drive_roots(env).items():
        try:
            rel = path.resolve().relative_to(root.resolve())
        except ValueError:
            continue
        return windows_to_wsl(f"{letter.upper()}:\\" + "\\".join(rel.parts))
    if os.name == "nt":  # pragma: no cover - Windows only
        return windows_to_wsl(str(path.resolve()))
    return None


def with_wslenv(env: Mapping[str, str], base: Mapping[str, str]) -> dict[str, str]:
    """``base`` plus ``env``, each name added to WSLENV so it crosses into the distro."""
    out = dict(base)
    names = [n for n in out.get("WSLENV", "").split(":") if n]
    listed = {n.split("/", 1)[0] for n in names}
    names += [k for k in env if k not in listed]
    out.update(env)
    out["WSLENV"] = ":".join(names)
    return out


@dataclass
class Wsl(CommandTransport):
    """One WSL distro, reached with ``wsl.exe``."""

    distro: str
    dry_run: Callable[[str], None] | None = None
    exe: str = field(default_factory=lambda: os.environ.get("BOOTSTRAP_WSL_EXE", "wsl.exe"))

    @property
    def name(self) -> str:
        return self.distro

    def argv(self, command: str) -> list[str]:
        return [self.exe, "-d", self.distro, "--", "sh", "-lc", shlex.quote(command)]

    def pipe_argv(self, command: str) -> list[str]:
        return self.argv(command)

    def dir_word(self, directory: str) -> str:
        return home_word(directory)

    def shown(self, argv: Sequence[str]) -> bool:
        # Shown as the command line wsl.exe passes on (the words joined by spaces).
        if self.dry_run is None:
            return False
        self.dry_run(" ".join(argv))
        return True

    def command_argv(self, command: str, env: Mapping[str, str] | None) -> list[str]:
        return self.argv(command)

    def command_env(self, env: Mapping[str, str] | None) -> Mapping[str, str] | None:
        return self._env(env)

    def failure_output(self, stdout: str, stderr: str) -> str:
        return stdout + stderr  # wsl.exe prints its own errors on stdout

    def timed_out(self, command: str, timeout: float) -> Exception:
        return Unreachable(
            f"{self.distro}: `{command[:60]}` timed out after {timeout:g}s", code="wsl2.timeout"
        )

    def _env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return with_wslenv({**WSL_ENV, **(extra or {})}, os.environ)

    def check(self, res_code: int | None, not_found: bool, output: str) -> None:
        text = _text(output)
        if not_found and not on_windows():
            raise UserError(
                "wsl.exe was not found: the wsl2 strategy hands over from Windows, "
                "and this is not Windows",
                fix="run it on the Windows host, or choose another --strategy",
                code="wsl2.not_windows",
            )
        if not_found:
            raise ActionRequired(
                "wsl.exe was not found: WSL is not installed on this Windows",
                fix="in an administrator terminal: `wsl --install --no-distribution`, "
                "reboot, then re-run",
                code="wsl2.no_wsl_exe",
            )
        if res_code not in (0, None) and any(n in text for n in NO_DISTRO):
            raise ActionRequired(
                f"WSL distro {self.distro!r} is not installed",
                fix=f"`wsl --install -d {shlex.quote(self.distro)} --no-launch`, then re-run",
                code="wsl2.distro_missing",
            )

    def sync_tree(
        self, repo: Path, files: Sequence[str], directory: str, *, timeout: float
    ) -> proc.Result:
        """rsync inside the distro from the repository's /mnt/<drive> path."""
        source = self._mounted(repo, "the repository")
        word = self.dir_word(directory)
        command = (
            f"mkdir -p {word} && rsync -a --stats --from0 --files-from=- "
            f"{shlex.quote(source + '/')} {word}/"
        )
        return self.run(command, timeout=timeout, input="\0".join(files))

    def put_file(self, path: Path, directory: str, name: str, *, timeout: float) -> proc.Result:
        """cp inside the distro from the file's /mnt/<drive> path."""
        source = self._mounted(path, "the cache bundle")
        target = f"{self.dir_word(directory)}/{shlex.quote(name)}"
        part = target + ".part"
        command = f"cp {shlex.quote(source)} {part} && mv -f {part} {target}"
        return self.run(command, timeout=timeout)

    def _mounted(self, path: Path, what: str) -> str:
        if self.dry_run is not None:
            return local_to_wsl(path) or str(path)
        found = local_to_wsl(path)
        if found is None:
            raise UserError(
                f"{what} {path} is not on a Windows drive WSL mounts under /mnt",
                fix="keep the repository and the bundle on a local drive (C:, D:, ...)",
                code="wsl2.not_on_a_drive",
            )
        return found

    def close(self) -> None:
        """Nothing is kept open: each wsl.exe call is its own process."""


def on_windows() -> bool:
    return sys.platform == "win32"


def _text(out: str) -> str:
    # wsl.exe's own messages come as UTF-16LE when WSL_UTF8 is not honoured (old builds):
    # read as text they have a NUL after every character.
    return out.replace("\0", "")
