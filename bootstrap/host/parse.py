"""Pure parsers for what the probes read: text in, values out, no I/O.

Each is tested against real outputs collected from public sources
(tests/fixtures/host/README.md lists where each came from).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass


def os_release(text: str) -> dict[str, str]:
    """/etc/os-release: shell-style KEY=value lines (values may be quoted)."""
    out: dict[str, str] = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            parts = shlex.split(raw)
        except ValueError:
            parts = [raw.strip("\"'")]
        out[key.strip()] = parts[0] if parts else ""
    return out


_WSL1 = re.compile(r"-Microsoft\b")  # WSL1: "4.4.0-19041-Microsoft"
# "microsoft" alone also matches Microsoft-internal cloud kernels (systemd#15614): be specific.
_WSL2 = re.compile(r"microsoft-standard|WSL2", re.IGNORECASE)


def wsl_from_kernel(release: str) -> int | None:
    """WSL generation from the kernel release string, or None for any other kernel."""
    if _WSL1.search(release):
        return 1
    if _WSL2.search(release):
        return 2
    return None


# R610+ prints "KMD Version: ... CUDA UMD Version: ..." instead (sglang#27487).
_SMI_HEADER = re.compile(
    r"(?:Driver|KMD) Version:\s*(?P<driver>[\d.]+)\s+"
    r"CUDA (?:UMD )?Version:\s*(?P<cuda>[\d.]+|ERR!|N/A)"
)
# "|   0  NVIDIA GeForce RTX 4070        Off |   00000000:2D:00.0  On |"
_SMI_GPU = re.compile(r"^\|\s+(?P<idx>\d+)\s+(?P<name>.+?)\s+(?:On|Off|WDDM|TCC)\s+\|")
_SMI_MEM = re.compile(r"(?P<used>\d+)MiB\s*/\s*(?P<total>\d+)MiB")


@dataclass(frozen=True)
class SmiGpu:
    name: str
    memory_bytes: int | None


@dataclass(frozen=True)
class Smi:
    driver_version: str
    cuda_version: str | None  # None when nvidia-smi prints ERR! or N/A
    gpus: tuple[SmiGpu, ...]


def nvidia_smi(text: str) -> Smi | None:
    """The default `nvidia-smi` table: driver, CUDA and each GPU's name and memory.

    Returns None when the text is not a table (e.g. "NVIDIA-SMI has failed because it
    couldn't communicate with the NVIDIA driver").
    """
    header = _SMI_HEADER.search(text)
    if not header:
        return None
    cuda = header.group("cuda")
    gpus: list[SmiGpu] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _SMI_GPU.match(line)
        if not m:
            continue
        mem = None
        if i + 1 < len(lines):
            mm = _SMI_MEM.search(lines[i + 1])
            if mm:
                mem = int(mm.group("total")) * 1024 * 1024
        gpus.append(SmiGpu(m.group("name").strip(), mem))
    return Smi(
        header.group("driver"),
        cuda if re.fullmatch(r"[\d.]+", cuda) else None,
        tuple(gpus),
    )


_PROC_NV = re.compile(r"Kernel Module(?: for [\w-]+)?\s+(?P<v>\d+\.\d+(?:\.\d+)?)")


def proc_driver_version(text: str) -> str | None:
    """/proc/driver/nvidia/version: "NVRM version: NVIDIA UNIX x86_64 Kernel Module
    550.54.14  Thu Feb 22 ..." (also "Open Kernel Module" and aarch64 variants)."""
    m = _PROC_NV.search(text)
    return m.group("v") if m else None


def sys_module_version(text: str) -> str | None:
    """/sys/module/nvidia/version: the whole file is the version."""
    v = text.strip()
    return v if re.fullmatch(r"\d+\.\d+(?:\.\d+)?", v) else None


_LDD_GLIBC = re.compile(r"(?:GNU libc|GLIBC|glibc)[^\n]*?(\d+\.\d+)", re.IGNORECASE)
_LDD_MUSL = re.compile(r"musl libc.*?\nVersion\s+(\d+\.\d+(?:\.\d+)?)", re.IGNORECASE | re.DOTALL)


def ldd_version(text: str) -> tuple[str, str | None] | None:
    """`ldd --version` (stdout + stderr: musl prints to stderr and exits 1)."""
    if "musl" in text.lower():
        m = _LDD_MUSL.search(text)
        return "musl", (m.group(1) if m else None)
    m = _LDD_GLIBC.search(text)
    if m:
        return "glibc", m.group(1)
    return None


def meminfo_total(text: str) -> int | None:
    """/proc/meminfo "MemTotal:       24684084 kB" -> bytes."""
    m = re.search(r"^MemTotal:\s+(\d+)\s*kB", text, re.MULTILINE)
    return int(m.group(1)) * 1024 if m else None


def sw_vers(text: str) -> dict[str, str]:
    """`sw_vers`: "ProductName:\tmacOS" lines."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def rocminfo_gfx(text: str) -> list[str]:
    """The gfx targets of GPU agents in `rocminfo` output ("Name: gfx1100")."""
    return sorted(set(re.findall(r"^\s*Name:\s+(gfx[0-9a-f]+)\s*$", text, re.MULTILINE)))


def rocminfo_marketing(text: str) -> list[str]:
    names = []
    blocks = re.split(r"\*{5,}\s*\n\s*Agent \d+\s*\n\*{5,}", text)
    for block in blocks:
        if re.search(r"^\s*Device Type:\s+GPU", block, re.MULTILINE):
            m = re.search(r"^\s*Marketing Name:\s+(.+?)\s*$", block, re.MULTILINE)
            if m:
                names.append(m.group(1))
    return names


def rocm_version(text: str) -> str | None:
    """/opt/rocm/.info/version: "6.2.0-66" -> "6.2"."""
    m = re.match(r"\s*(\d+)\.(\d+)", text)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def wsl_list(text: str) -> list[tuple[str, int]]:
    """`wsl.exe --list --verbose` (with WSL_UTF8=1): [(distro, version)].

    ``  NAME            STATE           VERSION`` / ``* Ubuntu-22.04    Running         2``
    """
    text = text.replace("\x00", "")  # UTF-16 read as UTF-8, in case WSL_UTF8 was ignored
    out = []
    for line in text.splitlines()[1:]:
        parts = line.replace("*", " ").split()
        if len(parts) >= 3 and parts[-1] in ("1", "2"):
            out.append((parts[0], int(parts[-1])))
    return out


def windows_video_controllers(text: str) -> list[tuple[str, str | None]]:
    """PowerShell `Get-CimInstance Win32_VideoController | Format-List ...` records:
    [(Name, PCI vendor id such as "8086" or None)], one per blank-line separated record."""
    out: list[tuple[str, str | None]] = []
    for record in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        fields = {}
        for line in record.splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() and not key.startswith(" "):
                fields[key.strip()] = value.strip()
        name = fields.get("Name")
        if name:
            m = re.search(r"VEN_([0-9A-Fa-f]{4})", fields.get("PNPDeviceID", ""))
            out.append((name, m.group(1).upper() if m else None))
    return out
