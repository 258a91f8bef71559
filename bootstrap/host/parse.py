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


def wsl_from_proc_version(text: str) -> int | None:
    """WSL generation from /proc/version, or None for any other kernel.

    WSL1 on Windows 10 1607 (build 14393) reports the release ``3.4.0+`` with no marker,
    while /proc/version says ``Linux version 3.4.0-Microsoft (Microsoft@Microsoft.com)``
    (microsoft/WSL#1090)."""
    release = text.split()[2] if text.startswith("Linux version ") and len(text.split()) > 2 else ""
    found = wsl_from_kernel(release)
    if found is not None:
        return found
    if "(Microsoft@Microsoft.com)" in text:  # WSL1's builder line; no real kernel says it
        return 1
    return None


# R610+ prints "KMD Version: ... CUDA UMD Version: ..." instead (sglang#27487). Drivers
# before CUDA 10 print no CUDA column at all (cBio/cbio-cluster#38), and a Jetson prints
# "Driver Version: N/A" (OE4T/linux-tegra-5.10#17).
_SMI_HEADER = re.compile(
    r"(?:Driver|KMD) Version:\s*(?P<driver>[\d.]+|N/A)"
    r"(?:\s+CUDA (?:UMD )?Version:\s*(?P<cuda>[\d.]+|ERR!|N/A))?"
)
# "|   0  NVIDIA GeForce RTX 4070        Off |   00000000:2D:00.0  On |"
# (A Jetson prints "N/A" where the persistence mode goes.) A GPU row always has a second
# cell after the first "|": a process row ("|    0   N/A  N/A   1084  C+G  ...exe  N/A  |",
# N/A in its memory column on Windows and WSL2) ends there.
_SMI_GPU = re.compile(r"^\|\s+(?P<idx>\d+)\s+(?P<name>.+?)\s+(?:On|Off|WDDM|TCC|N/A)\s+\|\s*\S")
# The table's second section lists processes, not GPUs: the GPU section ends at its header.
_SMI_PROCESSES = re.compile(r"^\|\s*Processes:", re.MULTILINE)
_SMI_MEM = re.compile(r"(?P<used>\d+)MiB\s*/\s*(?P<total>\d+)MiB")


@dataclass(frozen=True)
class SmiGpu:
    """One GPU row of nvidia-smi."""

    name: str
    memory_bytes: int | None


@dataclass(frozen=True)
class Smi:
    """What nvidia-smi printed: the driver, its CUDA version, the GPUs."""

    driver_version: str | None  # None when it prints "N/A" (a Jetson)
    cuda_version: str | None  # None when it prints ERR! or N/A, or has no CUDA column
    gpus: tuple[SmiGpu, ...]
    # What it printed instead of a CUDA version ("ERR!", "N/A"): the driver's CUDA stack
    # is broken (a WSL2 GPU stack, a container without the driver's libcuda), and that is
    # a fact worth keeping, not a blank to fill from the driver table.
    cuda_error: str | None = None


def nvidia_smi(text: str) -> Smi | None:
    """The default `nvidia-smi` table: driver, CUDA and each GPU's name and memory.

    Returns None when the text is not a table (e.g. "NVIDIA-SMI has failed because it
    couldn't communicate with the NVIDIA driver").
    """
    header = _SMI_HEADER.search(text)
    if not header:
        return None
    cuda = header.group("cuda") or ""
    driver = header.group("driver")
    gpus: list[SmiGpu] = []
    processes = _SMI_PROCESSES.search(text)
    lines = (text[: processes.start()] if processes else text).splitlines()
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
    numeric = bool(re.fullmatch(r"[\d.]+", cuda))
    return Smi(
        None if driver == "N/A" else driver,
        cuda if numeric else None,
        tuple(gpus),
        cuda_error=cuda if cuda and not numeric else None,
    )


_PROC_NV = re.compile(r"Kernel Module(?: for [\w-]+)?\s+(?P<v>\d+\.\d+(?:\.\d+)?)")


def proc_driver_version(text: str) -> str | None:
    """/proc/driver/nvidia/version: "NVRM version: NVIDIA UNIX x86_64 Kernel Module
    550.54.14  Thu Feb 22 ..." (also "Open Kernel Module" and aarch64 variants)."""
    m = _PROC_NV.search(text)
    return m.group("v") if m else None


def is_l4t_release(version: str) -> bool:
    """An NVIDIA Jetson's kernel module reports its L4T (Linux for Tegra) release where a
    driver version would be: "35.3.1" in /proc/driver/nvidia/version (nixGL#139). Driver
    versions have had three digits since R173 (2008); L4T releases have two (R32-R39)."""
    m = re.match(r"(\d+)\.\d+", version)
    return m is not None and int(m.group(1)) < 100


def sys_module_version(text: str) -> str | None:
    """/sys/module/nvidia/version: the whole file is the version."""
    v = text.strip()
    return v if re.fullmatch(r"\d+\.\d+(?:\.\d+)?", v) else None


_LDD_GLIBC = re.compile(r"(?:GNU libc|GLIBC|glibc)[^\n]*?(\d+\.\d+)", re.IGNORECASE)
# glibc's own banner is "ldd (PKGVERSION) VERSION": a distribution patchset may put
# anything in the parentheses, e.g. "ldd (Gentoo 2.43-r2 (patchset 3)) 2.43" with no
# "glibc" at all (zbirenbaum/copilot.lua#738). musl's ldd never prints "ldd (".
_LDD_BANNER = re.compile(r"^ldd \(.*\) (\d+\.\d+)(?:\.\d+)?\s*$", re.MULTILINE)
_LDD_MUSL = re.compile(r"musl libc.*?\nVersion\s+(\d+\.\d+(?:\.\d+)?)", re.IGNORECASE | re.DOTALL)


def ldd_version(text: str) -> tuple[str, str | None] | None:
    """`ldd --version` (stdout + stderr: musl prints to stderr and exits 1)."""
    if "musl" in text.lower():
        m = _LDD_MUSL.search(text)
        return "musl", (m.group(1) if m else None)
    m = _LDD_GLIBC.search(text) or _LDD_BANNER.search(text)
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


# -- Windows console tools (wsl.exe, wslconfig.exe, systeminfo.exe) ---------------------
# wsl.exe writes UTF-16LE (no BOM, "\r\r\n" line ends on some builds) unless WSL_UTF8=1,
# which only WSL 0.64+ honours (microsoft/WSL#4607, tailscale/tailscale#3170); its text is
# localized, but option names, URLs and error codes are not.
def decode_console(data: bytes) -> str:
    """Bytes from a Windows console tool as text: UTF-16LE with or without a BOM,
    UTF-8 with or without a BOM, else the ANSI code page (read as cp1252)."""
    if data.startswith(b"\xff\xfe"):
        text = data[2:].decode("utf-16-le", errors="replace")
    elif data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="replace")
    elif len(data) >= 2 and data[1::2].count(0) * 2 >= len(data) // 2:
        # Mostly-ASCII UTF-16LE: every second byte is NUL.
        text = data[: len(data) - len(data) % 2].decode("utf-16-le", errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    return clean_console(text)


def clean_console(text: str) -> str:
    """Drop NULs (UTF-16 read as 8-bit text) and a BOM; "\r\r\n" and "\r\n" become "\n"."""
    text = text.replace("\x00", "").lstrip("\ufeff\xff\xfe")
    return re.sub(r"\r*\n", "\n", text).replace("\r", "\n")


@dataclass(frozen=True)
class WslDistro:
    """One distro of `wsl --list --verbose`."""

    name: str
    version: int | None  # 1 or 2; None when the listing does not say
    default: bool


# Option names are never translated: help text printed instead of a listing means the
# build does not know the option (`-v` before build 18917, `--list` before 18305).
_WSL_USAGE = re.compile(r"--exec\b|--distribution\b|/setdefault\b|wsl\.exe \[")
_WSL_NO_DISTRO = re.compile(
    r"WSL_E_DEFAULT_DISTRO_NOT_FOUND|aka\.ms/wslstore|--list --online"
    r"|has no installed distributions",
    re.IGNORECASE,
)
_WSL_NOT_INSTALLED = re.compile(
    r"WSL_E_WSL_OPTIONAL_COMPONENT_REQUIRED|aka\.ms/wslinstall|optional component is not enabled",
    re.IGNORECASE,
)
_WSL_ROW = re.compile(r"^\s*(?P<default>\*)?\s*(?P<name>\S+)\s+\S.*?\s+(?P<version>[12])\s*$")


def wsl_message(text: str) -> str | None:
    """What a wsl.exe output that is not a listing says: "usage" (an option this build
    lacks), "no_distro", "not_installed", or None."""
    text = clean_console(text)
    if _WSL_NOT_INSTALLED.search(text):
        return "not_installed"
    if _WSL_NO_DISTRO.search(text):
        return "no_distro"
    if _WSL_USAGE.search(text):
        return "usage"
    return None


def wsl_list_verbose(text: str) -> list[WslDistro] | None:
    """`wsl.exe --list --verbose`: the distros, their WSL version and the default (`*`).

    ``  NAME            STATE           VERSION`` / ``* Ubuntu-22.04    Running         2``.
    The header and the states are localized, so rows are read by shape: an optional
    `*`, a name (distro names have no spaces), a state, and 1 or 2 last. None when the
    text is not a listing (help text, a message).
    """
    text = clean_console(text)
    if wsl_message(text) is not None:
        return None
    lines = [line for line in text.splitlines() if line.strip()]
    rows = [_WSL_ROW.match(line) for line in lines[1:]]
    found = [
        WslDistro(m.group("name"), int(m.group("version")), bool(m.group("default")))
        for m in rows
        if m
    ]
    return found or None


def wsl_list(text: str) -> list[tuple[str, int]]:
    """`wsl.exe --list --verbose`: [(distro, version)] (see :func:`wsl_list_verbose`)."""
    return [(d.name, d.version or 0) for d in wsl_list_verbose(text) or []]


def wsl_list_plain(text: str) -> list[WslDistro] | None:
    """`wsl.exe --list` and `wslconfig.exe /l` (builds without `--verbose`): a localized
    title line ending in a colon, then one name per line, the default one followed by a
    localized "(Default)" ("(Padrão)", "(默认)"). No WSL version is printed."""
    text = clean_console(text)
    if wsl_message(text) is not None:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].endswith((":", "\uff1a")):
        return None
    out = []
    for line in lines[1:]:
        name, _, rest = line.partition(" ")
        out.append(WslDistro(name, None, bool(re.fullmatch(r"\(.+\)", rest.strip()))))
    return out


_LABELLED = re.compile(r"^\s*(?P<label>[^:\uff1a]+?)\s*[:\uff1a]\s*(?P<value>\S.*?)\s*$")
_DOTTED = re.compile(r"\d+\.\d+\.\d+(?:\.\d+)?(?:-\S+)?")


def wsl_status(text: str) -> dict[str, str | int]:
    """`wsl.exe --status`: {"default_distro", "default_version", "kernel"}, each when shown.

    ``Default Distribution: Ubuntu-22.04`` / ``Default Version: 2`` / ``Kernel version:
    5.10.102.1``. The labels are localized, so values are read by shape: 1 or 2 is the
    default version, a dotted version the kernel, and the first single-word value (no
    URL, no error code) the default distro.
    """
    out: dict[str, str | int] = {}
    if wsl_message(text) == "usage":
        return out
    for line in clean_console(text).splitlines():
        m = _LABELLED.match(line)
        if not m:
            continue
        value = m.group("value")
        if value in ("1", "2"):
            out.setdefault("default_version", int(value))
        elif _DOTTED.fullmatch(value):
            out.setdefault("kernel", value)
        elif re.fullmatch(r"[\w.\-]+", value) and "default_distro" not in out:
            out["default_distro"] = value
    return out


def wsl_version(text: str) -> dict[str, str]:
    """`wsl.exe --version` (WSL from the Store, 0.67+): {"wsl", "kernel"}.

    ``WSL version: 2.0.9.0`` / ``Kernel version: 5.15.133.1-1`` / ``WSLg version: ...``:
    the labels are localized, the order is fixed, so the first two values are taken.
    Older builds print help text: {}.
    """
    if wsl_message(text) is not None:
        return {}
    values = [
        m.group("value")
        for m in map(_LABELLED.match, clean_console(text).splitlines())
        if m and _DOTTED.fullmatch(m.group("value"))
    ]
    return dict(zip(("wsl", "kernel"), values[:2]))


_YES_NO = {"yes": True, "no": False, "true": True, "false": False}
_FW_KEYS = ("virtualizationfirmwareenabled", "hypervrequirementvirtualizationfirmwareenabled")


def hyperv_state(text: str) -> tuple[bool | None, bool | None]:
    """(virtualization enabled in firmware, hypervisor running), each None when unknown.

    Reads systeminfo's "Hyper-V Requirements" section ("Virtualization Enabled In
    Firmware: No", or "A hypervisor has been detected") and PowerShell's Format-List of
    Win32_Processor.VirtualizationFirmwareEnabled / Win32_ComputerSystem.HypervisorPresent
    (or Get-ComputerInfo's HyperVRequirementVirtualizationFirmwareEnabled /
    HyperVisorPresent). While a hypervisor runs, Windows cannot read the firmware flag
    (systeminfo hides it, CIM says False: microsoft/Windows-Sandbox#21), so it is None then.
    """
    text = clean_console(text)
    firmware: bool | None = None
    hypervisor: bool | None = None
    if re.search(r"A hypervisor has been detected", text):
        return None, True
    m = re.search(r"Virtualization Enabled In Firmware:\s*(Yes|No)\b", text, re.IGNORECASE)
    if m:
        # systeminfo lists the requirements only when no hypervisor runs.
        return _YES_NO[m.group(1).lower()], False
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip().lower()
        if key in _FW_KEYS and value in _YES_NO:
            firmware = _YES_NO[value]
        elif key == "hypervisorpresent" and value in _YES_NO:
            hypervisor = _YES_NO[value]
    if hypervisor:
        firmware = None
    return firmware, hypervisor


def first_line(*texts: str, limit: int = 200) -> str:
    """The first non-empty line of the first text that has one (an error message)."""
    for text in texts:
        for line in clean_console(text).splitlines():
            if line.strip():
                return line.strip()[:limit]
    return ""


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
