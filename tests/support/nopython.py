"""Run a command on a machine with no Python at all, and no network.

A private mount namespace (``unshare -m -n``: root) in which ``/usr/bin`` is a tmpfs of
links to the real binaries minus every ``python*`` (and pydoc/pygettext), the real
directory reachable only through a bind mount those links point at; PATH is expected to
be ``/usr/bin:/bin`` (``/bin`` is ``/usr/bin`` on Debian 12). Only loopback is up.
"""

from __future__ import annotations

SCRIPT = r"""
set -e
mount --make-rprivate /
real=$(mktemp -d /tmp/real-usr-bin.XXXXXX)
mount --bind /usr/bin "$real"
mount -t tmpfs -o size=4m tmpfs /usr/bin
# One process for the ~1000 links (cp -s; -P keeps the links among them as they are;
# the few directories are left out, with a complaint that is not worth showing).
"$real/cp" -sP "$real"/* /usr/bin/ 2>/dev/null || true
"$real/rm" -f /usr/bin/python* /usr/bin/pydoc* /usr/bin/pygettext* /usr/bin/py3*
if command -v python3 >/dev/null 2>&1 || command -v python >/dev/null 2>&1; then
  echo "no-python namespace: a python is still on PATH" >&2
  exit 99
fi
ip link set lo up 2>/dev/null || true
exec "$@"
"""

PATH = "/usr/bin:/bin"


def no_python(argv: list[str]) -> list[str]:
    """``argv`` run with no python3 on PATH or in /usr/bin, and no network."""
    return ["unshare", "-m", "-n", "sh", "-c", SCRIPT, "no-python", *argv]
