"""Parsers over real outputs collected from public sources (tests/fixtures/host/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.host import parse
from bootstrap.host.cuda import LINUX_MIN_DRIVER, max_cuda_for_driver

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "host"


def real(name: str) -> str:
    return (FIX / name).read_text(encoding="utf-8")


GIB = 2**30
MIB = 2**20


@pytest.mark.parametrize(
    ("name", "driver", "cuda", "gpus"),
    [
        ("470.57.02.txt", "470.57.02", "11.4", [("NVIDIA GeForce ...", 7979 * MIB)]),
        ("550.40.07.txt", "550.40.07", "12.4", [("NVIDIA GeForce RTX 4070", 12282 * MIB)]),
        (
            "535.86.10-two-a800.txt",
            "535.86.10",
            "12.2",
            [("NVIDIA A800-SXM4-80GB", 81920 * MIB)] * 2,
        ),
        ("515.48.07-three-a100.txt", "515.48.07", "11.7", None),
        (
            "linux-580.126.09-2gpu.txt",
            "580.126.09",
            "13.0",
            [("NVIDIA A100-SXM4-40GB", 40960 * MIB)] * 2,
        ),
        ("linux-610.43.02-kmd.txt", "610.43.02", "13.3", [("NVIDIA B200", 183359 * MIB)] * 2),
        ("wsl2-537.13.txt", "537.13", "12.2", [("NVIDIA GeForce GTX 1650 ...", 4096 * MIB)]),
        ("wsl2-546.80-cuda-err.txt", "546.80", None, [("NVIDIA GeForce RTX 3060 ...", 6 * GIB)]),
        (
            "windows-517.48-2gpu.txt",
            "517.48",
            "11.7",
            [("NVIDIA GeForce ...", 11264 * MIB)] * 2,
        ),
        ("windows-460.15-wddm.txt", "460.15", "11.1", [("GeForce RTX 207...", 8 * GIB)]),
    ],
)
def test_nvidia_smi_table(
    name: str, driver: str, cuda: str | None, gpus: list[tuple[str, int]] | None
) -> None:
    smi = parse.nvidia_smi(real(f"nvidia-smi/{name}"))
    assert smi is not None
    assert smi.driver_version == driver
    assert smi.cuda_version == cuda
    if gpus is not None:
        assert [(g.name, g.memory_bytes) for g in smi.gpus] == gpus
    else:
        assert len(smi.gpus) == 3


@pytest.mark.parametrize(
    ("name", "driver", "gpus"),
    [
        ("linux-331.62-no-cuda.txt", "331.62", ["GeForce GTX 680"] * 2),
        ("linux-384.90-no-cuda.txt", "384.90", ["GeForce GTX 108...", "Quadro K5000"]),
    ],
)
def test_nvidia_smi_without_cuda_column_still_gives_the_driver(
    name: str, driver: str, gpus: list[str]
) -> None:
    # Drivers before CUDA 10 print no "CUDA Version" column: the driver and the GPUs are
    # still there (the table's first line is a timestamp, not an error message).
    smi = parse.nvidia_smi(real(f"nvidia-smi/{name}"))
    assert smi is not None
    assert (smi.driver_version, smi.cuda_version, smi.cuda_error) == (driver, None, None)
    assert [g.name for g in smi.gpus] == gpus


@pytest.mark.parametrize(
    ("name", "driver", "error"),
    [
        ("wsl2-546.80-cuda-err.txt", "546.80", "ERR!"),  # a broken WSL2 GPU stack
        ("linux-410.78-cuda-na.txt", "410.78", "N/A"),  # libcuda missing or mismatched
        ("550.40.07.txt", "550.40.07", None),
    ],
)
def test_nvidia_smi_keeps_what_it_printed_instead_of_a_cuda_version(
    name: str, driver: str, error: str | None
) -> None:
    smi = parse.nvidia_smi(real(f"nvidia-smi/{name}"))
    assert smi is not None
    assert smi.driver_version == driver
    assert smi.cuda_error == error
    if error:
        assert smi.cuda_version is None


def test_nvidia_smi_on_a_jetson() -> None:
    smi = parse.nvidia_smi(real("nvidia-smi/jetson-orin-540.3.0.txt"))
    assert smi is not None
    assert (smi.driver_version, smi.cuda_version, smi.cuda_error) == (None, "12.2", None)
    assert [(g.name, g.memory_bytes) for g in smi.gpus] == [("Orin (nvgpu)", None)]


@pytest.mark.parametrize(
    ("version", "l4t"),
    [("35.3.1", True), ("36.4.7", True), ("550.54.14", False), ("384.98", False), ("x", False)],
)
def test_l4t_releases_are_not_driver_versions(version: str, l4t: bool) -> None:
    assert parse.is_l4t_release(version) is l4t


@pytest.mark.parametrize("name", ["failed-no-driver.txt", "failed-wsl-nvml.txt"])
def test_nvidia_smi_failure_messages_are_not_tables(name: str) -> None:
    assert parse.nvidia_smi(real(f"nvidia-smi/{name}")) is None


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("384.98.txt", "384.98"),
        ("565.57.01-open.txt", "565.57.01"),
        ("525.60.11-open-arch.txt", "525.60.11"),
        ("jetson-35.3.1-open-aarch64.txt", "35.3.1"),
    ],
)
def test_proc_driver_nvidia_version(name: str, version: str) -> None:
    assert parse.proc_driver_version(real(f"proc-nvidia/{name}")) == version


def test_sys_module_version() -> None:
    assert parse.sys_module_version("550.54.14\n") == "550.54.14"
    assert parse.sys_module_version("garbage\n") is None


def kernel_cases() -> list[tuple[str, int | None]]:
    cases = []
    for line in real("kernel-releases.txt").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        release, expected = line.split("\t")
        cases.append((release, None if expected == "none" else int(expected)))
    return cases


@pytest.mark.parametrize(("release", "expected"), kernel_cases())
def test_wsl_generation_from_kernel(release: str, expected: int | None) -> None:
    assert parse.wsl_from_kernel(release) == expected


@pytest.mark.parametrize(
    ("name", "distro_id", "version", "like"),
    [
        ("ubuntu-24.04.3.txt", "ubuntu", "24.04", "debian"),
        ("debian-12.txt", "debian", "12", ""),
        ("alpine-3.19.1.txt", "alpine", "3.19.1", ""),
    ],
)
def test_os_release(name: str, distro_id: str, version: str, like: str) -> None:
    rel = parse.os_release(real(f"os-release/{name}"))
    assert (rel["ID"], rel["VERSION_ID"], rel.get("ID_LIKE", "")) == (distro_id, version, like)


def test_os_release_quoting_and_comments() -> None:
    rel = parse.os_release('# comment\nNAME="Fedora Linux"\nVERSION_CODENAME=""\nID=fedora\n')
    assert rel == {"NAME": "Fedora Linux", "VERSION_CODENAME": "", "ID": "fedora"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("glibc-2.25.txt", ("glibc", "2.25")),
        ("glibc-ubuntu-2.23.txt", ("glibc", "2.23")),
        ("ubuntu-glibc-2.39.txt", ("glibc", "2.39")),
        # A distribution patchset in the parentheses, no "glibc" anywhere.
        ("gentoo-2.43.txt", ("glibc", "2.43")),
        ("musl-1.1.24.txt", ("musl", "1.1.24")),
        # Older musl takes --version as a file name: still musl, version unknown.
        ("musl-cannot-load-version.txt", ("musl", None)),
    ],
)
def test_ldd_version(name: str, expected: tuple[str, str | None]) -> None:
    assert parse.ldd_version(real(f"ldd/{name}")) == expected


@pytest.mark.parametrize(
    ("name", "version"),
    [("sw_vers-catalina.txt", "10.15.5"), ("sw_vers-10.13.txt", "10.13")],
)
def test_sw_vers(name: str, version: str) -> None:
    info = parse.sw_vers(real(f"macos/{name}"))
    assert info["ProductVersion"] == version
    assert info["ProductName"] == "Mac OS X"


def test_rocminfo_names_the_gpu_agent_not_the_cpu() -> None:
    text = real("rocminfo/rx7900xtx-agent.txt")
    assert parse.rocminfo_marketing(text) == ["Radeon RX 7900 XTX"]
    assert parse.rocminfo_gfx(text) == ["gfx1100"]
    cpu_only = real("rocminfo/cpu-agent-only.txt")
    assert parse.rocminfo_marketing(cpu_only) == []
    assert parse.rocminfo_gfx(cpu_only) == []


def test_wsl_list_verbose() -> None:
    assert parse.wsl_list(real("wsl/wsl-list-verbose.txt")) == [
        ("Ubuntu", 2),
        ("Legacy", 1),
        ("Ubuntu-18.04", 1),
        ("docker-desktop", 2),
    ]
    # The same output read as UTF-16 bytes decoded as UTF-8 (WSL_UTF8 ignored).
    utf16 = real("wsl/wsl-list-verbose.txt").encode("utf-16-le").decode("utf-8")
    assert parse.wsl_list(utf16)[0] == ("Ubuntu", 2)


def raw(name: str) -> bytes:
    return (FIX / name).read_bytes()


def test_wsl_list_verbose_marks_the_default_and_wsl1() -> None:
    rows = parse.wsl_list_verbose(real("wsl/wsl-list-verbose.txt"))
    assert rows is not None
    assert [(d.name, d.version, d.default) for d in rows] == [
        ("Ubuntu", 2, True),
        ("Legacy", 1, False),
        ("Ubuntu-18.04", 1, False),
        ("docker-desktop", 2, False),
    ]
    only = parse.wsl_list_verbose(real("wsl/wsl-list-verbose-wsl1.txt"))
    assert only == [parse.WslDistro("Ubuntu", 1, True)]
    # WSL 2.4.4 dropped the `*` (microsoft/WSL#12302): no default, all rows still read.
    none = parse.wsl_list_verbose(real("wsl/wsl-list-verbose-no-default.txt"))
    assert none is not None
    assert [d.name for d in none] == [
        "MyPengwin",
        "WLinux",
        "docker-desktop",
        "docker-desktop-data",
    ]
    assert not any(d.default for d in none)


@pytest.mark.parametrize("bom", [b"", b"\xff\xfe"])
def test_wsl_list_verbose_utf16le_bytes(bom: bytes) -> None:
    text = parse.decode_console(bom + raw("wsl/wsl-list-verbose-utf16le.bin"))
    assert "\x00" not in text and "\r" not in text
    rows = parse.wsl_list_verbose(text)
    assert rows is not None
    assert [(d.name, d.version, d.default) for d in rows] == [
        ("Ubuntu", 2, True),
        ("kali", 2, False),
        ("docker-desktop", 2, False),
    ]


def test_decode_console_utf8_with_and_without_bom() -> None:
    data = real("wsl/wsl-list-pt-br.txt").encode("utf-8")
    for blob in (data, b"\xef\xbb\xbf" + data):
        assert parse.decode_console(blob).startswith("Distribuições do Subsistema")


def test_utf16le_help_text_of_a_build_without_the_option() -> None:
    """tailscale/tailscale#3170: real UTF-16LE bytes, French, "\r\r\n" line ends."""
    text = parse.decode_console(raw("wsl/wsl-list-usage-fr-utf16le.bin"))
    assert "Tous droits réservés." in text
    assert "Utilisation\xa0: wsl.exe [Argument]" in text
    assert parse.wsl_list_verbose(text) is None
    assert parse.wsl_message(text) == "usage"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Localized titles and "(Default)" markers, builds without --verbose.
        ("wsl/wsl-list-zh-cn.txt", [("Ubuntu-18.04", True), ("Ubuntu", False)]),
        ("wsl/wsl-list-pt-br.txt", [("Ubuntu", True), ("Ubuntu-20.04", False)]),
        ("wsl/wslconfig-l.txt", [("Ubuntu-18.04", True)]),
    ],
)
def test_wsl_list_plain(name: str, expected: list[tuple[str, bool]]) -> None:
    rows = parse.wsl_list_plain(real(name))
    assert rows is not None
    assert [(d.name, d.default) for d in rows] == expected
    assert parse.wsl_list_verbose(real(name)) is None  # no VERSION column: not a table


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("wsl/wsl-list-verbose-usage-zh-cn.txt", "usage"),  # 18362: no --verbose
        ("wsl/wsl-list-invalid-option.txt", "usage"),  # 17763: no --list
        ("wsl/wsl-list-no-distro.txt", "no_distro"),
    ],
)
def test_wsl_messages_instead_of_a_listing(name: str, said: str) -> None:
    assert parse.wsl_message(real(name)) == said
    assert parse.wsl_list_verbose(real(name)) is None
    assert parse.wsl_list_plain(real(name)) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("wsl/wsl-status-debian.txt", {"default_distro": "Debian", "default_version": 2}),
        (
            "wsl/wsl-status-kernel.txt",
            {"default_distro": "Ubuntu-22.04", "default_version": 2, "kernel": "5.10.102.1"},
        ),
        ("wsl/wsl-status-version-only.txt", {"default_version": 1}),
        ("wsl/wsl-list-invalid-option.txt", {}),
    ],
)
def test_wsl_status(name: str, expected: dict[str, object]) -> None:
    assert parse.wsl_status(real(name)) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("wsl/wsl-version-1.1.2.txt", {"wsl": "1.1.2.0", "kernel": "5.15.83.1"}),
        ("wsl/wsl-version-1.2.5.txt", {"wsl": "1.2.5.0", "kernel": "5.15.90.1"}),
        ("wsl/wsl-list-invalid-option.txt", {}),
    ],
)
def test_wsl_version(name: str, expected: dict[str, str]) -> None:
    assert parse.wsl_version(real(name)) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("windows/systeminfo-hyperv-yes.txt", (True, False)),
        ("windows/systeminfo-hyperv-no.txt", (False, False)),
        ("windows/systeminfo-hypervisor.txt", (None, True)),
        ("windows/computerinfo-hyperv-off.txt", (False, False)),
        ("windows/computerinfo-hyperv-on.txt", (None, True)),
        ("windows/videocontroller-intel-uhd.txt", (None, None)),
    ],
)
def test_hyperv_state(name: str, expected: tuple[bool | None, bool | None]) -> None:
    assert parse.hyperv_state(real(name)) == expected


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("engine/docker-version-no-daemon.err", "Cannot connect to the Docker daemon at unix://"),
        ("engine/podman-machine-down.err", "Cannot connect to Podman. Please verify"),
    ],
)
def test_engine_error_is_the_first_line(name: str, first: str) -> None:
    assert parse.first_line(real(name)).startswith(first)
    assert "\n" not in parse.first_line(real(name))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("videocontroller-intel-uhd.txt", [("Intel(R) UHD Graphics", "8086")]),
        ("videocontroller-amd-rx5600xt.txt", [("AMD Radeon RX 5600 XT", "1002")]),
    ],
)
def test_windows_video_controllers(name: str, expected: list[tuple[str, str]]) -> None:
    assert parse.windows_video_controllers(real(f"windows/{name}")) == expected
    both = real(f"windows/{name}") + "\r\n\r\nName : Microsoft Basic Display Adapter\r\n"
    assert parse.windows_video_controllers(both)[-1] == ("Microsoft Basic Display Adapter", None)


def test_meminfo_total() -> None:
    assert parse.meminfo_total("MemTotal:       24684084 kB\nMemFree: 1 kB\n") == 24684084 * 1024
    assert parse.meminfo_total("") is None


@pytest.mark.parametrize(
    ("driver", "cuda"),
    [
        ("470.57.02", "11.4"),
        ("535.86.10", "12.2"),
        ("535.54.03", "12.2"),
        ("535.54", "12.2"),
        ("535.43", "12.1"),  # just below the 12.2 floor
        ("550.40.07", "12.3"),  # 550.40 predates 12.4's 550.54 floor
        ("550.54.14", "12.4"),
        ("565.57.01", "12.6"),
        ("570.133.20", "12.8"),
        ("580.82.07", "13.0"),
        ("610.43.02", "13.0"),
        ("440.33.01", "10.2"),
        ("418.67", None),  # older than the table
        ("not-a-version", None),
    ],
)
def test_max_cuda_for_driver(driver: str, cuda: str | None) -> None:
    assert max_cuda_for_driver(driver) == cuda


def test_driver_table_is_sorted_newest_first() -> None:
    minimums = [m for _, m in LINUX_MIN_DRIVER]
    assert minimums == sorted(minimums, reverse=True)
