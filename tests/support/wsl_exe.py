"""The test stand-in for ``wsl.exe``: a Windows host's view of a WSL2 distro, on Linux.

Only wsl.exe itself is played: the distro behind it is the real Debian root filesystem
(tests/support/rootfs.py) with its own shell, Python and tools, and everything the
product runs there is real. Run as ``python3 wsl_exe.py CONFIG.json ARGS...`` from a
``wsl.exe`` wrapper on PATH (:mod:`support.wslbox` writes both).

What it does, as the real wsl.exe does (learn.microsoft.com/windows/wsl/basic-commands,
`wsl.exe --help`):

* ``-l``/``--list`` with ``-v``/``--verbose``, ``--status``, ``--version``: print the
  Windows host's captured output for that command (tests/fixtures/hosts/<host>), as
  UTF-16LE unless ``WSL_UTF8=1`` is set; ``-l -q`` prints the distro names.
* ``-d NAME``, ``-u USER``, ``--cd DIR``, then ``-e CMD ARGS...`` (run without a shell) or
  ``-- CMDLINE...`` / ``CMDLINE...`` (the words joined by spaces and given to the
  user's login shell as ``$SHELL -c``: the product has to quote for that shell). The
  command runs chrooted in an overlay of the root filesystem (the distro's own files
  persist between calls, as a distro's do), ``/root`` is the distro's home (a host
  folder the test can look at) and the folder that plays ``C:\\`` is at ``/mnt/c``;
  in a network namespace with only loopback (no network inside); with a clean
  environment plus the variables WSLENV names (the ``/w`` ones stay behind).
  Exit codes, stdin and stdout pass through.
* An unknown distro: ``There is no distribution with the supplied name.`` and exit 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

NO_DISTRO = (
    "There is no distribution with the supplied name.\r\n"
    "Error code: Wsl/Service/WSL_E_DISTRO_NOT_FOUND\r\n"
)
BOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Runs under `unshare --mount --net --propagation private`: $1 merged root, $2 lower
# rootfs, $3 upper, $4 work, $5 home, $6 the folder that plays C:\, then the chroot argv.
NAMESPACE_SCRIPT = r"""
set -eu
R=$1 LOWER=$2 UPPER=$3 WORK=$4 HOME_DIR=$5 CDRIVE=$6
shift 6
ip link set lo up 2>/dev/null || true
mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$UPPER,workdir=$WORK" "$R"
mkdir -p "$R/mnt/c"
mount --bind "$CDRIVE" "$R/mnt/c"
mount --bind "$HOME_DIR" "$R/root"
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=0755,nosuid tmpfs "$R/dev"
for d in null zero full random urandom tty; do
  : >"$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"
done
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
exec chroot "$R" "$@"
"""

LONG = {"-l": "--list", "-v": "--verbose", "-q": "--quiet"}
LONG.update({v: v for v in ("--list", "--verbose", "--quiet", "--status", "--version")})

# Inside: go to the start directory (the home when it does not exist), then run.
ENTER = 'cd "$1" 2>/dev/null || cd; shift; exec "$@"'


def say(text: str) -> None:
    data = text.encode("utf-8" if os.environ.get("WSL_UTF8") == "1" else "utf-16-le")
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


def captured(config: dict[str, object], *argv: str) -> tuple[str, int] | None:
    """The host capture's stdout and exit code for ``wsl.exe ARGV``."""
    capture = Path(str(config["capture"]))
    index = json.loads((capture / "capture.json").read_text())
    for entry in index.get("commands", []):
        if entry["argv"][1:] == list(argv):
            out = (capture / entry["stdout"]).read_text() if entry.get("stdout") else ""
            return out, int(entry.get("returncode", 0))
    return None


def wslenv(environ: dict[str, str]) -> dict[str, str]:
    """What WSLENV carries from Windows into the distro (not the ``/w`` ones)."""
    out: dict[str, str] = {}
    for item in environ.get("WSLENV", "").split(":"):
        name, _, flags = item.partition("/")
        if name and "w" not in flags and name in environ:
            out[name] = environ[name]
    return out


def start_dir(cd: str | None, config: dict[str, object]) -> str:
    if cd is None:
        # Like wsl.exe: the current Windows directory when it is on the mounted drive.
        try:
            rel = Path.cwd().resolve().relative_to(Path(str(config["cdrive"])).resolve())
        except ValueError:
            return "/root"
        return "/mnt/c/" + rel.as_posix() if rel.parts else "/mnt/c"
    if cd == "~":
        return "/root"
    if cd.startswith("/"):
        return cd
    drive, _, rest = cd.partition(":")
    return f"/mnt/{drive.lower()}" + rest.replace("\\", "/")


def run_in_distro(config: dict[str, object], distro: str, cd: str | None, argv: list[str]) -> int:
    env = ["env", "-i", "HOME=/root", f"PATH={BOX_PATH}", "USER=root", "LOGNAME=root"]
    env += ["SHELL=/bin/bash", f"WSL_DISTRO_NAME={distro}", "LANG=C.UTF-8"]
    env += [f"WSLENV={os.environ.get('WSLENV', '')}"]
    env += [f"{k}={v}" for k, v in wslenv(dict(os.environ)).items()]
    inner = [*env, "/bin/sh", "-c", ENTER, "enter", start_dir(cd, config), *argv]
    root = Path(str(config["state"]))
    host = [
        "unshare", "--mount", "--net", "--propagation", "private",
        "sh", "-c", NAMESPACE_SCRIPT, "wsl",
        str(root / "merged"), str(config["rootfs"]), str(root / "upper"), str(root / "work"),
        str(config["home"]), str(config["cdrive"]),
        *inner,
    ]  # fmt: skip
    # The host side (unshare, mount, chroot) needs the sbin directories whatever PATH
    # the Windows side has; the distro gets its own environment (env -i above).
    host_env = {**os.environ, "PATH": BOX_PATH}
    return subprocess.run(host, env=host_env, check=False).returncode


def main(config_path: str, args: list[str]) -> int:
    config = json.loads(Path(config_path).read_text())
    with Path(str(config["log"])).open("a") as log:
        log.write(json.dumps({"argv": args, "wslenv": os.environ.get("WSLENV", "")}) + "\n")
    distro: str | None = None
    cd: str | None = None
    listing: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-d", "--distribution"):
            distro, i = args[i + 1], i + 2
        elif a in ("-u", "--user"):
            i += 2  # one user (root) in this distro
        elif a == "--cd":
            cd, i = args[i + 1], i + 2
        elif a in LONG:
            listing.append(LONG.get(a, a))
            i += 1
        elif a in ("-e", "--exec"):
            return _run(config, distro, cd, args[i + 1 :])
        elif a == "--":
            return _run(config, distro, cd, ["/bin/bash", "-c", " ".join(args[i + 1 :])])
        else:
            return _run(config, distro, cd, ["/bin/bash", "-c", " ".join(args[i:])])
    if listing == ["--list", "--quiet"]:
        say("".join(f"{name}\r\n" for name in config["distros"]))  # type: ignore[attr-defined]
        return 0
    if listing:
        found = captured(config, *listing)
        if found is None:
            say(f"Invalid command line option: {' '.join(listing)}\r\n")
            return 1
        say(found[0].replace("\r\n", "\n").replace("\n", "\r\n"))
        return found[1]
    return _run(config, distro, cd, ["/bin/bash", "-l"])


def _run(config: dict[str, object], distro: str | None, cd: str | None, argv: list[str]) -> int:
    name = distro or str(config["default"])
    if name not in config["distros"]:  # type: ignore[operator]
        say(NO_DISTRO)
        return 1
    return run_in_distro(config, name, cd, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
