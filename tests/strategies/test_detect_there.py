"""What goes to a box to detect it with nothing installed there is enough on its own:
the listed files, copied alone, run as `python3 -S -m bootstrap.host` (no site-packages,
so no third-party module and no checkout on the path) and print the box's facts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import bootstrap
from bootstrap.strategies.remote import detection_files


def test_the_detection_files_run_alone(tmp_path: Path) -> None:
    package = Path(bootstrap.__file__).resolve().parent
    for rel in detection_files(package):
        dest = tmp_path / "bootstrap" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(package / rel, dest)
    res = subprocess.run(
        [sys.executable, "-S", "-m", "bootstrap.host"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    facts = json.loads(res.stdout)
    assert facts["os"] in ("linux", "macos", "windows")
    assert facts["cpu_count"] >= 1
