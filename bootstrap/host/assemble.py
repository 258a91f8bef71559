"""Turn probe results into HostFacts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bootstrap.host.facts import Distro, Gpu, HostFacts, Libc, ProbeRecord, Tools
from bootstrap.host.probes import base, run_probes
from bootstrap.host.sources import Source


def assemble(
    src: Source, timeout: float, meanwhile: Callable[[], object] | None = None
) -> HostFacts:
    facts: dict[str, Any] = base(src)
    results = run_probes(src, dict(facts), timeout, meanwhile)
    gpus: list[Gpu] = []
    for name in sorted(results):
        status, _ms, _detail, found = results[name]
        if status != "ok":
            continue
        gpus.extend(found.pop("gpus", []))
        facts.update(found)
    distro = facts.get("distro")
    libc = facts.get("libc")
    return HostFacts(
        os=facts["os"],
        os_version=facts.get("os_version", ""),
        arch=facts["arch"],
        kernel=facts.get("kernel", ""),
        distro=None
        if not distro
        else Distro(distro["id"], distro["version"], tuple(distro["like"])),
        arch_translated=bool(facts.get("arch_translated", False)),
        libc=None if not libc else Libc(libc["family"], libc["version"]),
        wsl=facts.get("wsl"),
        container=facts.get("container"),
        wsl_distros=tuple(facts.get("wsl_distros", ())),
        wsl_installed=_first(facts, "wsl_installed", "wsl_status_installed"),
        wsl_default_distro=_first(facts, "wsl_default_distro", "wsl_status_distro"),
        wsl_default_version=facts.get("wsl_default_version"),
        wsl_version=facts.get("wsl_version"),
        wsl_kernel_version=facts.get("wsl_kernel_version"),
        virtualization_firmware=facts.get("virtualization_firmware"),
        hypervisor_present=facts.get("hypervisor_present"),
        cpu_count=int(facts.get("cpu_count", 1)),
        memory_bytes=int(facts.get("memory_bytes", 0)),
        disk_free_bytes=int(facts.get("disk_free_bytes", 0)),
        gpus=tuple(gpus),
        tools=Tools(
            **{k: (str(v) if v else None) for k, v in facts.get("tools", {}).items()},
            container_engine=facts.get("container_engine"),
            engine_error=facts.get("engine_error"),
        ),
        ci=bool(facts.get("ci", False)),
        proxy=bool(facts.get("proxy", False)),
        probes={n: ProbeRecord(s, ms, d) for n, (s, ms, d, _) in results.items()},
    )


def _first(facts: dict[str, Any], *keys: str) -> Any:
    """The first of ``keys`` that a probe answered (the listing before `wsl --status`)."""
    return next((facts[k] for k in keys if facts.get(k) is not None), None)
