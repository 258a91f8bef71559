"""Small projects in the shapes real repositories have, written by the tests.

Each keeps its own profile (``bootstrap.toml``) and its tests as the first run; what the
tests check is what broke on real repositories when the project itself was not
installed (click, flask, werkzeug, pydantic):

* ``srcapp``: a src layout (not importable from the checkout's root), hatchling, a
  console entry point, pytest in a dependency group; its tests read
  ``importlib.metadata.version("srcapp")``, start ``sys.executable -c "import srcapp"``
  from another directory, run the entry point, and check that the import is the
  editable checkout and that nothing is on PYTHONPATH.
* ``flatws``: a flat layout built with setuptools, and a uv workspace with a second
  member (``packages/wsmember``, src layout, hatchling, with an entry point) that the
  root depends on; stdlib unittest as its test runner, so its bundle holds no
  registry wheel of the project at all, only the build backends.

Both are locked online once (``uv lock``, then ``bootstrap lock --project`` for the
build lock) by the fixture that packs their bundles.
"""

from __future__ import annotations

from pathlib import Path

PROFILE = """\
name = "{name}"
description = "A project in a real shape, set up from the profile it keeps."

[project]
path = "."
python = ">=3.9"

[[locks]]
kind = "uv"
path = "uv.lock"
{selection}
[first_run]
command = {command}
timeout_seconds = 120

[sync]
network = "offline"
"""

SRCAPP: dict[str, str] = {
    "pyproject.toml": """\
[project]
name = "srcapp"
version = "1.2.3"
requires-python = ">=3.9"
dependencies = ["six==1.17.0"]

[project.scripts]
srcapp = "srcapp.cli:main"

[dependency-groups]
tests = ["pytest==8.3.5"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
""",
    "bootstrap.toml": PROFILE.format(
        name="srcapp",
        selection='groups = ["tests"]\n',
        command='["python", "-m", "pytest", "-v", "-p", "no:cacheprovider"]',
    ),
    "src/srcapp/__init__.py": (
        '"""srcapp: a src-layout package."""\n\nimport six\n\nSIX = six.__version__\n'
    ),
    "src/srcapp/cli.py": 'def main() -> None:\n    print("srcapp cli ok")\n',
    "tests/test_srcapp.py": """\
import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_metadata_of_itself():
    assert importlib.metadata.version("srcapp") == "1.2.3"


def test_imported_from_the_editable_checkout():
    import srcapp

    assert Path(srcapp.__file__).resolve() == ROOT / "src" / "srcapp" / "__init__.py"
    assert srcapp.SIX == "1.17.0"


def test_a_subprocess_imports_it_from_anywhere(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", "import srcapp, sys; print(srcapp.__name__)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "srcapp"


def test_console_entry_point():
    exe = shutil.which("srcapp", path=str(Path(sys.executable).parent))
    assert exe is not None
    out = subprocess.run([exe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "srcapp cli ok"


def test_nothing_on_pythonpath():
    assert not os.environ.get("PYTHONPATH")
""",
}

FLATWS: dict[str, str] = {
    "pyproject.toml": """\
[project]
name = "flatws"
version = "0.4.0"
requires-python = ">=3.9"
dependencies = ["wsmember"]

[tool.uv.sources]
wsmember = { workspace = true }

[tool.uv.workspace]
members = ["packages/*"]

[tool.setuptools]
packages = ["flatws"]

[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"
""",
    "bootstrap.toml": PROFILE.format(
        name="flatws",
        selection="",
        command='["python", "-m", "unittest", "discover", "-s", "tests", "-v"]',
    ),
    "flatws/__init__.py": '"""flatws: a flat-layout package."""\n\nfrom wsmember import WHO\n',
    "packages/wsmember/pyproject.toml": """\
[project]
name = "wsmember"
version = "0.2.0"
requires-python = ">=3.9"

[project.scripts]
wsmember = "wsmember:main"

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
""",
    "packages/wsmember/src/wsmember/__init__.py": (
        'WHO = "wsmember"\n\n\ndef main() -> None:\n    print("wsmember cli ok")\n'
    ),
    "tests/test_flatws.py": """\
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class FlatWorkspace(unittest.TestCase):
    def test_metadata_of_both_members(self):
        self.assertEqual(importlib.metadata.version("flatws"), "0.4.0")
        self.assertEqual(importlib.metadata.version("wsmember"), "0.2.0")

    def test_the_member_is_the_editable_checkout(self):
        import wsmember

        where = Path(wsmember.__file__).resolve()
        self.assertEqual(where, ROOT / "packages" / "wsmember" / "src" / "wsmember" / "__init__.py")

    def test_a_subprocess_imports_both_from_anywhere(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [sys.executable, "-c", "import flatws; print(flatws.WHO)"],
                cwd=tmp, capture_output=True, text=True, check=True,
            )
        self.assertEqual(out.stdout.strip(), "wsmember")

    def test_the_member_entry_point(self):
        exe = shutil.which("wsmember", path=str(Path(sys.executable).parent))
        self.assertIsNotNone(exe)
        out = subprocess.run([exe], capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout.strip(), "wsmember cli ok")

    def test_nothing_on_pythonpath(self):
        self.assertFalse(os.environ.get("PYTHONPATH"))
""",
}

SHAPES: dict[str, dict[str, str]] = {"srcapp": SRCAPP, "flatws": FLATWS}
# What each project's tests print when all pass.
PASSED = {"srcapp": "5 passed", "flatws": "Ran 5 tests"}


def write(name: str, dest: Path) -> Path:
    for rel, text in SHAPES[name].items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return dest


def source_text(name: str) -> bytes:
    return "".join(f"{k}\n{v}" for k, v in sorted(SHAPES[name].items())).encode()
