"""A GPU-style project with no GPU and no internet: ``fakegpu``, a torch-like package in
two real builds (``1.0+cpu`` and ``1.0+cu124``), each served as its own PEP 503 index on
127.0.0.1, and a project that takes it from a different index per extra -- uv's per-extra
sources with ``conflicts``, the way uv's PyTorch guide sets up torch -- locked by the real
pinned uv. Without an extra, uv's default selection takes the CPU build."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from support.servers import Served, serve_directory

SHOW = "import fakegpu; print('build', fakegpu.BUILD)"

PYPROJECT = """\
[project]
name = "gpuproj"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["fakegpu"]

[project.optional-dependencies]
cpu = ["fakegpu"]
cu124 = ["fakegpu"]

[tool.uv]
package = false
conflicts = [[{{ extra = "cpu" }}, {{ extra = "cu124" }}]]

[tool.uv.sources]
fakegpu = [{{ index = "fake-cu124", extra = "cu124" }}]

[[tool.uv.index]]
name = "fake-cpu"
url = "{url}/cpu/"
default = true

[[tool.uv.index]]
name = "fake-cu124"
url = "{url}/cu124/"
explicit = true
"""

PROFILE = f"""\
name = "gpuproj"
kind = "ai"

[project]
path = "."
python = ">=3.9"

[[locks]]
kind = "uv"
path = "uv.lock"

[locks.variants.cpu]
extras = ["cpu"]

[locks.variants.cu124]
extras = ["cu124"]
platforms = ["linux-*"]

[first_run]
command = ["python", "-c", "{SHOW}"]

[sync]
network = "allow"
"""


def wheel(index: Path, version: str) -> None:
    """A real wheel of ``fakegpu`` at ``version`` (RECORD hashed), and the PEP 503 pages
    that serve it with its SHA-256."""
    name = f"fakegpu-{version}-py3-none-any.whl"
    info = f"fakegpu-{version}.dist-info"
    files = {
        "fakegpu/__init__.py": f'BUILD = "{version}"\n'.encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: fakegpu\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = [
        f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},"
        f"{len(d)}"
        for n, d in files.items()
    ]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    (index / "fakegpu").mkdir(parents=True)
    with zipfile.ZipFile(index / name, "w") as zf:
        for member, data in files.items():
            zf.writestr(zipfile.ZipInfo(member, (2020, 1, 1, 0, 0, 0)), data)
    sha = hashlib.sha256((index / name).read_bytes()).hexdigest()
    link = name.replace("+", "%2B")
    (index / "fakegpu" / "index.html").write_text(
        f'<html><body><a href="../{link}#sha256={sha}">{name}</a></body></html>\n'
    )
    (index / "index.html").write_text('<html><body><a href="fakegpu/">fakegpu</a></body></html>\n')


@contextmanager
def served_project(root: Path, uv: Path, env: Mapping[str, str]) -> Iterator[tuple[Path, Served]]:
    """``root/gpuproj`` (its pyproject, its bootstrap.toml and a fresh uv.lock) while
    both indexes are served; ``env`` is uv's for the lock (its cache, no Python download)."""
    served = root / "served"
    wheel(served / "cpu", "1.0+cpu")
    wheel(served / "cu124", "1.0+cu124")
    project = root / "gpuproj"
    project.mkdir()
    with serve_directory(served) as server:
        (project / "pyproject.toml").write_text(PYPROJECT.format(url=server.url))
        (project / "bootstrap.toml").write_text(PROFILE)
        locked = subprocess.run(
            [str(uv), "lock", "--project", str(project)],
            env=dict(env), capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if locked.returncode != 0:
            raise AssertionError(locked.stderr)
        lock = (project / "uv.lock").read_text()
        assert "1.0+cpu" in lock and "1.0+cu124" in lock
        yield project, server
