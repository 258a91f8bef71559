"""Detection reads what the machine says, not more: nvidia-smi's GPU section only (never
its Processes section), "no GPU row readable" is not "one GPU", and WSL1 of Windows 10
1607 (release ``3.4.0+``) is WSL1 for detection and for `doctor` alike.

Every table is a real output (tests/fixtures/host/README.md names each source)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bootstrap import host
from bootstrap.host import parse
from bootstrap.host.sources import Replay
from bootstrap.policy.doctor import _is_wsl

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "host"
MIB = 2**20


def real(name: str) -> str:
    return (FIX / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "driver", "names", "memory"),
    [
        # Windows WDDM tables with their Processes section: the process rows print N/A in
        # the memory column, which the GPU row pattern used to accept (7, 3 and 6 GPUs).
        ("windows-512.78-t4-wddm-processes.txt", "512.78", ["Tesla T4"], 16384),
        ("windows-566.07-wddm-processes.txt", "566.07", ["NVIDIA GeForce RTX 4050 ..."], 6141),
        ("windows-577.03-wddm-processes.txt", "577.03", ["NVIDIA GeForce RTX 5070 ..."], 12227),
        ("linux-470.63.01-processes.txt", "470.63.01", ["NVIDIA GeForce ..."], 16116),
        ("wsl2-510.06-processes-header.txt", "510.06", ["NVIDIA GeForce ..."], 8192),
        (
            "linux-550.127.05-8gpu-processes.txt",
            "550.127.05",
            ["NVIDIA RTX 6000 Ada Gene..."] * 8,
            49140,
        ),
    ],
)
def test_a_full_table_counts_the_gpu_section_only(
    name: str, driver: str, names: list[str], memory: int
) -> None:
    smi = parse.nvidia_smi(real(f"nvidia-smi/{name}"))
    assert smi is not None
    assert smi.driver_version == driver
    assert [g.name for g in smi.gpus] == names
    assert [g.memory_bytes for g in smi.gpus] == [memory * MIB] * len(names)


def test_process_rows_alone_are_not_gpus() -> None:
    """The Processes section without its header (a paste that starts mid-table): its rows
    have no second cell, so none of them is read as a GPU."""
    text = real("nvidia-smi/windows-512.78-t4-wddm-processes.txt")
    header = text.splitlines()[:3]
    rows = [ln for ln in text.splitlines() if "C+G" in ln]
    smi = parse.nvidia_smi("\n".join(header + rows))
    assert smi is not None and smi.gpus == ()


def _capture(tmp_path: Path, values: dict[str, Any], *, files=None, commands=None, env=None):
    """A capture directory holding only what this machine offers (the rest is absent)."""
    d = tmp_path / "capture"
    (d / "files").mkdir(parents=True)
    (d / "commands").mkdir()
    index: dict[str, Any] = {
        "format": 1,
        "unlisted": "absent",
        "values": values,
        "env": env or {},
        "files": {},
        "globs": {},
        "commands": [],
    }
    for n, (path, content) in enumerate((files or {}).items()):
        (d / f"files/{n:04d}").write_text(content)
        index["files"][path] = f"files/{n:04d}"
    for n, (argv, out) in enumerate(commands or []):
        (d / f"commands/{n:04d}.out").write_text(out)
        index["commands"].append({"argv": argv, "returncode": 0, "stdout": f"commands/{n:04d}.out"})
    (d / "capture.json").write_text(json.dumps(index))
    return d


def _linux(kernel: str, **extra: Any) -> dict[str, Any]:
    return {
        "platform.system": "Linux",
        "platform.machine": "x86_64",
        "platform.release": kernel,
        "os.cpu_count": 8,
        "memory_bytes": 16 * 2**30,
        "disk_free_bytes": 100 * 2**30,
        "os.confstr.CS_GNU_LIBC_VERSION": "glibc 2.39",
        **extra,
    }


def test_a_full_table_replayed_is_one_gpu(tmp_path: Path) -> None:
    smi = "/usr/bin/nvidia-smi"
    d = _capture(
        tmp_path,
        _linux("5.11.0-34-generic", **{"which.nvidia-smi": smi}),
        commands=[([smi], real("nvidia-smi/linux-470.63.01-processes.txt"))],
    )
    facts = host.replay(d)
    assert [g.name for g in facts.gpus] == ["NVIDIA GeForce ..."]
    assert facts.gpus[0].count_unknown is None


@pytest.mark.parametrize("how", ["header-only", "module-only"])
def test_no_gpu_row_readable_is_not_one_gpu(tmp_path: Path, how: str) -> None:
    """A driver that answered without listing its GPUs is kept (the planner needs the
    driver), marked as not counted, and `detect` says so instead of showing one GPU."""
    smi = "/usr/bin/nvidia-smi"
    if how == "header-only":
        header = "\n".join(real("nvidia-smi/550.40.07.txt").splitlines()[:4]) + "\n"
        d = _capture(
            tmp_path, _linux("6.8.0-51-generic", **{"which.nvidia-smi": smi}),
            commands=[([smi], header)],
        )  # fmt: skip
    else:
        d = _capture(
            tmp_path, _linux("6.8.0-51-generic"),
            files={"/sys/module/nvidia/version": "550.54.14\n"},
        )  # fmt: skip
    facts = host.replay(d)
    assert len(facts.gpus) == 1
    gpu = facts.gpus[0]
    assert gpu.count_unknown is True
    assert gpu.driver_version in ("550.40.07", "550.54.14")
    assert facts.to_dict()["gpus"][0]["count_unknown"] is True
    from bootstrap.host.facts import HostFacts

    assert HostFacts.from_dict(facts.to_dict()) == facts
    shown = subprocess.run(
        [sys.executable, "-m", "bootstrap", "detect", "--replay", str(d)],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "300"}, check=True,
    )  # fmt: skip
    assert "how many GPUs is unknown" in shown.stdout


def test_a_listed_gpu_has_no_count_marker(tmp_path: Path) -> None:
    smi = "/usr/bin/nvidia-smi"
    d = _capture(
        tmp_path, _linux("6.8.0-51-generic", **{"which.nvidia-smi": smi}),
        commands=[([smi], real("nvidia-smi/550.40.07.txt"))],
    )  # fmt: skip
    facts = host.replay(d)
    assert "count_unknown" not in facts.to_dict()["gpus"][0]


WSL1_1607 = real("wsl/proc-version-wsl1-1607.txt")


@pytest.mark.parametrize(
    ("kernel", "proc_version", "env", "expected"),
    [
        # Windows 10 1607: `uname -r` is "3.4.0+", /proc/version names Microsoft's builder.
        ("3.4.0+", WSL1_1607, {}, 1),
        ("4.4.0-19041-Microsoft", "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com)",
         {}, 1),
        ("5.15.146.1-microsoft-standard-WSL2", None, {}, 2),
        # A self-built WSL2 kernel: the release says nothing, WSL's variable does.
        ("6.6.36-custom", "Linux version 6.6.36-custom (me@box) (gcc 13)",
         {"WSL_DISTRO_NAME": "Ubuntu"}, 2),
        ("6.8.0-51-generic", "Linux version 6.8.0-51-generic (buildd@lcy02-amd64-036)", {}, None),
    ],
)  # fmt: skip
def test_wsl_generation_and_doctor_agree(
    tmp_path: Path, kernel: str, proc_version: str | None, env: dict[str, str], expected: int | None
) -> None:
    files = {} if proc_version is None else {"/proc/version": proc_version}
    d = _capture(tmp_path, _linux(kernel), files=files, env=env)
    facts = host.replay(d)
    assert facts.wsl == expected
    assert _is_wsl(Replay(d), kernel) is (expected is not None)
