"""A macOS userland on Linux, for running stage 0 as a Mac runs it.

No macOS can run here, so the parts of a Mac that stage 0 touches are rebuilt from
Debian packages and small wrappers, each standing for what Apple ships:

* ``tar`` is bsdtar (libarchive-tools; Apple's tar is bsdtar), ``awk`` is BWK awk
  (original-awk; Apple's awk is the one true awk), ``sed`` is GNU sed with ``--posix``
  (closest to BSD sed's POSIX-only behaviour);
* ``date`` prints a literal ``N`` for ``%N``, as BSD date does (``date +%s.%N`` ->
  ``1700000000.N``);
* no ``sha256sum``, ``wget``, ``timeout`` or ``ldd``; ``readlink`` refuses ``-f`` (it
  lacks it before macOS 12.3); ``shasum`` (perl) and ``openssl`` are there;
* ``uname`` says Darwin/arm64 and ``sysctl -in sysctl.proc_translated`` says 0 (a native
  process on Apple silicon);
* ``xcode-select -p`` fails (no Command Line Tools), and ``python3`` next to it is the
  CLT stub: it records that it was run, prints Apple's note and exits 1 (Apple's
  ``/usr/bin/python3`` is the xcode-select shim, which opens the install dialog);
* a python.org-style ``/usr/local/bin`` holding only ``python3.X`` (the real one), ahead
  of the stub on PATH, for the tests that need a Python.

``sh`` is bash in POSIX mode (Apple's /bin/sh is bash 3.2 run as sh) or zsh run as sh.
What the wrappers print follows the man pages of macOS 14 (date(1), uname(1), sysctl(8),
xcode-select(1)) and the stub's note as Apple's shim prints it.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

# Commands a Mac has in /usr/bin or /bin that stage 0 may use, taken from this machine.
PASSTHROUGH = (
    *("basename", "cat", "chmod", "cp", "curl", "cut", "dd", "df", "dirname", "env"),
    *("find", "grep", "gzip", "head", "id", "kill", "ln", "ls", "mkdir", "mktemp", "mv"),
    *("od", "openssl", "perl", "printenv", "rm", "rmdir", "shasum", "sleep", "sort"),
    *("tail", "touch", "tr", "uniq", "unzip", "wc", "xargs", "bash", "zsh", "dash"),
)
MISSING = ("sha256sum", "wget", "timeout", "ldd", "busybox")  # never on a Mac

STUB_NOTE = (
    "xcode-select: note: No developer tools were found, requesting install.\n"
    "If developer tools are located at a non-default location on disk, use "
    "`sudo xcode-select --switch path/to/Xcode.app` to specify the Xcode that you wish to "
    "use for command line developer tools, and cancel the installation dialog.\n"
)


@dataclass(frozen=True)
class MacUserland:
    root: Path
    usr_bin: Path  # Apple's /usr/bin and /bin, the stub included
    local_bin: Path  # python.org's /usr/local/bin
    stub_log: Path  # one line per run of the python3 stub

    @property
    def path(self) -> str:
        return f"{self.local_bin}{os.pathsep}{self.usr_bin}"

    def sh(self, shell: str) -> list[str]:
        """argv that runs a script with ``shell`` as the Mac's ``sh``."""
        return {
            "bash": [str(self.usr_bin / "bash"), "--posix"],
            "zsh": [str(self.root / "zsh-as-sh" / "sh")],
            "dash": [str(self.usr_bin / "dash")],
        }[shell]

    def stub_runs(self) -> list[str]:
        return self.stub_log.read_text().splitlines() if self.stub_log.exists() else []


def _script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def build(root: Path) -> MacUserland:
    for tool in ("bsdtar", "original-awk", "zsh"):
        if not shutil.which(tool):
            import pytest

            pytest.skip(f"{tool} is not installed (.ci/run installs it)")
    usr_bin, local_bin = root / "usr-bin", root / "usr-local-bin"
    usr_bin.mkdir(parents=True)
    local_bin.mkdir()
    for name in PASSTHROUGH:
        found = shutil.which(name)
        if found:
            (usr_bin / name).symlink_to(found)
    (usr_bin / "tar").symlink_to(shutil.which("bsdtar") or "bsdtar")
    (usr_bin / "awk").symlink_to(shutil.which("original-awk") or "original-awk")
    # zsh behaves as sh when its name is sh.
    (root / "zsh-as-sh").mkdir()
    (root / "zsh-as-sh" / "sh").symlink_to(shutil.which("zsh") or "zsh")
    _script(usr_bin / "sed", f'exec {shutil.which("sed")} --posix "$@"\n')
    _script(
        usr_bin / "date",
        "# BSD date has no %N: it prints the N\n"
        'for a in "$@"; do shift\n'
        "  case $a in +*) a=$(printf '%s' \"$a\" | sed 's/%N/N/g') ;; esac\n"
        '  set -- "$@" "$a"\n'
        "done\n"
        f'exec {shutil.which("date")} "$@"\n',
    )
    _script(
        usr_bin / "uname",
        'case "${1:-}" in\n'
        "  -m | -p) echo arm64 ;;\n"
        "  -r) echo 24.6.0 ;;\n"
        "  -a) echo 'Darwin mac.local 24.6.0 Darwin Kernel Version 24.6.0 arm64' ;;\n"
        "  *) echo Darwin ;;\n"
        "esac\n",
    )
    _script(
        usr_bin / "sysctl",
        'for a in "$@"; do name=$a; done\n'
        'case "$name" in\n'
        "  sysctl.proc_translated) echo 0 ;;\n"
        "  hw.optional.arm64) echo 1 ;;\n"
        "  hw.memsize) echo 17179869184 ;;\n"
        "  hw.ncpu | hw.logicalcpu) echo 8 ;;\n"
        "  *) echo \"sysctl: unknown oid '$name'\" >&2; exit 1 ;;\n"
        "esac\n",
    )
    _script(
        usr_bin / "readlink",
        'case "${1:-}" in -f*) echo "readlink: illegal option -- f" >&2; exit 1 ;; esac\n'
        f'exec {shutil.which("readlink")} "$@"\n',
    )
    _script(
        usr_bin / "xcode-select",
        'case "${1:-}" in\n'
        "  -p | --print-path)\n"
        "    echo 'xcode-select: error: unable to get active developer directory, use "
        "`sudo xcode-select --switch path/to/Xcode.app` to set one (or see "
        "`man xcode-select`)' >&2\n"
        "    exit 2 ;;\n"
        "esac\n"
        "exit 1\n",
    )
    stub_log = root / "python3-stub-runs.log"
    _script(
        usr_bin / "python3",
        f'printf "%s\\n" "$*" >>"{stub_log}"\ncat >&2 <<\'EOF\'\n{STUB_NOTE}EOF\nexit 1\n',
    )
    for name in MISSING:
        assert not (usr_bin / name).exists()
    # The interpreter behind the suite's virtual environment, not the environment's.
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    real = Path(sys.base_prefix) / "bin" / version
    if real.exists():
        (local_bin / version).symlink_to(real)
    return MacUserland(root, usr_bin, local_bin, stub_log)
