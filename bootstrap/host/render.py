"""The readable `bootstrap detect` summary."""

from __future__ import annotations

from bootstrap.console import console
from bootstrap.host.facts import HostFacts


def _gib(n: int | None) -> str:
    return "?" if not n else f"{n / 2**30:.1f} GiB"


def render(facts: HostFacts) -> None:
    from rich.table import Table

    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column()
    osline = f"{facts.os} {facts.os_version}"
    if facts.distro:
        osline += f"  ({facts.distro.id} {facts.distro.version})"
    t.add_row("os", osline)
    arch = facts.arch + ("  (translated: Rosetta/emulation)" if facts.arch_translated else "")
    t.add_row("arch", arch)
    if facts.libc:
        t.add_row("libc", f"{facts.libc.family} {facts.libc.version or ''}".strip())
    t.add_row("kernel", facts.kernel)
    where = "WSL" + str(facts.wsl) if facts.wsl else (facts.container or "native")
    if facts.container:
        where = f"container ({facts.container})"
    t.add_row("runs in", where)
    if facts.wsl_distros:
        t.add_row(
            "WSL distros", ", ".join(f"{d['name']} (WSL{d['version']})" for d in facts.wsl_distros)
        )
    t.add_row("cpu", f"{facts.cpu_count} cores")
    t.add_row("memory", _gib(facts.memory_bytes))
    t.add_row("disk free", _gib(facts.disk_free_bytes) + "  (home)")
    if not facts.gpus:
        t.add_row("gpu", "none")
    for g in facts.gpus:
        bits = [g.vendor, g.name]
        if g.memory_bytes:
            bits.append(_gib(g.memory_bytes))
        if g.driver_version:
            bits.append(f"driver {g.driver_version}")
        if g.cuda_version:
            bits.append(f"CUDA <= {g.cuda_version}")
        if g.rocm_version:
            bits.append(f"ROCm {g.rocm_version}")
        if g.count_unknown:
            bits.append("how many GPUs is unknown (none listed)")
        t.add_row("gpu", ", ".join(bits))
    engine = ("container_engine", "engine_error")
    tools = [
        f"{k}: {'yes' if v else 'no'}" for k, v in vars(facts.tools).items() if k not in engine
    ]
    t.add_row("tools", "  ".join(tools))
    t.add_row("engine", facts.tools.container_engine or f"none ({facts.tools.engine_error or '-'})")
    if facts.os == "windows":
        fw = {True: "on", False: "OFF", None: "?"}[facts.virtualization_firmware]
        t.add_row(
            "WSL",
            f"installed: {facts.wsl_installed}, default {facts.wsl_default_distro} "
            f"(WSL{facts.wsl_default_version}), {facts.wsl_version or '?'}; "
            f"virtualization {fw}, hypervisor {facts.hypervisor_present}",
        )
    t.add_row("ci / proxy", f"{'yes' if facts.ci else 'no'} / {'yes' if facts.proxy else 'no'}")
    if facts.overrides:
        t.add_row("overrides", ", ".join(sorted(facts.overrides)))
    out = console()
    out.print(t)
    p = Table(title="probes", title_justify="left", box=None, pad_edge=False)
    p.add_column("probe")
    p.add_column("status")
    p.add_column("ms", justify="right")
    p.add_column("source / reason", overflow="fold")
    colour = {"ok": "green", "absent": "dim", "failed": "red", "timeout": "yellow"}
    for name, rec in sorted(facts.probes.items()):
        p.add_row(
            name,
            f"[{colour[rec.status]}]{rec.status}[/]",
            f"{rec.duration_ms:.0f}",
            rec.detail or "",
        )
    out.print()
    out.print(p)
