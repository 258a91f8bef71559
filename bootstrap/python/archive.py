"""What an interpreter archive must be before uv sees it.

The ``install_only`` layout uv installs: one top-level ``python/`` directory with the
interpreter (``python/bin/pythonX.Y`` on Linux and macOS, ``python/python.exe`` on
Windows) and, off Windows, a regular-file ``python/lib/pythonX.Y/_sysconfigdata_*.py``
(uv rewrites it on install and refuses an archive without one). Refused here, with the
member named: anything outside ``python/``, absolute or ``..`` paths, absolute symlinks
and links that leave ``python/``, devices and fifos, and more than :data:`MAX_BYTES`
unpacked (a gzip bomb). The archive is read as a stream; nothing is extracted.
"""

from __future__ import annotations

import posixpath
import tarfile
from pathlib import Path

from bootstrap.errors import IntegrityError

MAX_BYTES = 2 << 30  # official install_only archives unpack to ~100-250 MB
CHUNK = 1 << 20


def _refuse(origin: str, what: str, code: str = "python.archive_unsafe") -> IntegrityError:
    return IntegrityError(
        f"{origin}: {what}",
        fix="use an install_only archive of python-build-standalone (or one built the same "
        "way): one python/ directory, relative links only",
        code=code,
    )


def check_archive(path: Path, minor: str, *, windows: bool = False, origin: str = "") -> None:
    """Refuse ``path`` unless it is an ``install_only`` archive of CPython ``minor``
    ("3.12") that is safe to hand to uv."""
    where = origin or str(path)
    names: set[str] = set()
    regular: set[str] = set()
    total = 0
    try:
        with tarfile.open(path, "r:gz") as tar:
            for info in tar:
                name = info.name.rstrip("/")
                if name.startswith("./"):
                    name = name[2:]
                parts = name.split("/")
                if name.startswith("/") or ".." in parts or parts[0] != "python":
                    raise _refuse(where, f"member {info.name!r} is not under python/")
                if info.issym() or info.islnk():
                    target = info.linkname
                    if target.startswith("/"):
                        raise _refuse(
                            where, f"member {info.name!r} links to the absolute path {target!r}"
                        )
                    base = posixpath.dirname(name) if info.issym() else ""
                    resolved = posixpath.normpath(posixpath.join(base, target))
                    if resolved != "python" and not resolved.startswith("python/"):
                        raise _refuse(where, f"member {info.name!r} links out of python/")
                elif not (info.isreg() or info.isdir()):
                    raise _refuse(where, f"member {info.name!r} is a device, fifo or special file")
                total += info.size
                if total > MAX_BYTES:
                    raise _refuse(where, f"unpacks to more than {MAX_BYTES} bytes")
                if info.isreg() or info.issym() or info.islnk():
                    names.add(name)
                if info.isreg():
                    regular.add(name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise _refuse(where, f"not a readable .tar.gz ({exc})", "python.archive_corrupt") from exc
    if windows:
        if "python/python.exe" not in names:
            raise _refuse(where, "has no python/python.exe", "python.archive_layout")
        return
    if f"python/bin/python{minor}" not in names:
        raise _refuse(where, f"has no python/bin/python{minor}", "python.archive_layout")
    prefix = f"python/lib/python{minor}/_sysconfigdata_"
    if not any(n.startswith(prefix) and n.endswith(".py") for n in regular):
        raise _refuse(
            where,
            f"has no regular file python/lib/python{minor}/_sysconfigdata_*.py "
            "(uv needs it to install)",
            "python.archive_layout",
        )
