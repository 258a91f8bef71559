"""Shared timing helpers for the benchmark scripts: medians of several runs, side by side.

A measured command is one or more steps (argv + working directory) run one after the
other; the wall time of all of them together is one run. ``before_each`` resets state
between runs and is not timed. A failing step stops the benchmark with the step's exit
code and the tail of its output, so a broken setup never turns into a fast figure.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

Arg = Union[str, "os.PathLike[str]"]


class BenchError(RuntimeError):
    """A measured command failed or did not do what the benchmark expects."""


@dataclass(frozen=True)
class Step:
    argv: Sequence[Arg]
    cwd: Path | None = None

    def text(self) -> str:
        return " ".join(os.fspath(a) for a in self.argv)


@dataclass(frozen=True)
class Sample:
    label: str
    runs: tuple[float, ...]
    outputs: tuple[str, ...] = field(default=(), repr=False)  # stdout + stderr per run
    step_runs: tuple[tuple[float, ...], ...] = ()  # per run, the wall time of each step
    # Per run: CPU seconds (user + system) of the commands and their children, which the
    # machine's load changes far less than wall time; and the 1-minute load average.
    cpu_runs: tuple[float, ...] = ()
    loads: tuple[float, ...] = ()

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_runs) if self.cpu_runs else float("nan")

    @property
    def load(self) -> str:
        return f"{min(self.loads):.1f}-{max(self.loads):.1f}" if self.loads else "?"

    def step_median(self, index: int) -> float:
        return statistics.median(times[index] for times in self.step_runs)

    @property
    def spread(self) -> str:
        return f"{min(self.runs):.3f}-{max(self.runs):.3f} s"


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run_step(step: Step, env: Mapping[str, str] | None = None, timeout: float = 600) -> str:
    """Run one step to completion; its combined output, or BenchError with the tail."""
    res = subprocess.run(
        [os.fspath(a) for a in step.argv],
        env=None if env is None else dict(env),
        cwd=step.cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        timeout=timeout,
        check=False,
    )
    if res.returncode != 0:
        where = f" (in {step.cwd})" if step.cwd else ""
        raise BenchError(
            f"`{step.text()}`{where} exited with {res.returncode}:\n{tail(res.stdout)}"
        )
    return res.stdout


@dataclass(frozen=True)
class Measure:
    """One thing to time: steps run in sequence make one run."""

    label: str
    steps: Sequence[Step]
    env: Mapping[str, str] | None = None
    before_each: Callable[[], None] | None = None  # reset state; not timed
    expect: str | None = None  # every run's output must contain it: the work was done


def measure(specs: Sequence[Measure], *, runs: int, warmup: int = 1) -> list[Sample]:
    """Wall times of ``specs`` over ``runs`` rounds, round-robin (one run of each per
    round), so that a change in the machine's load hits all of them alike. ``warmup``
    untimed rounds come first (page cache, bytecode)."""
    times: list[list[float]] = [[] for _ in specs]
    outputs: list[list[str]] = [[] for _ in specs]
    steps: list[list[tuple[float, ...]]] = [[] for _ in specs]
    cpus: list[list[float]] = [[] for _ in specs]
    loads: list[list[float]] = [[] for _ in specs]
    for i in range(warmup + runs):
        for k, spec in enumerate(specs):
            if spec.before_each is not None:
                spec.before_each()
            out = []
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            t0 = os.times()
            marks = [time.perf_counter()]
            for step in spec.steps:
                out.append(run_step(step, spec.env))
                marks.append(time.perf_counter())
            elapsed = marks[-1] - marks[0]
            t1 = os.times()
            cpu = (t1.children_user - t0.children_user) + (t1.children_system - t0.children_system)
            text = "".join(out)
            if spec.expect is not None and spec.expect not in text:
                raise BenchError(f"{spec.label}: expected {spec.expect!r} in:\n{tail(text)}")
            if i >= warmup:
                times[k].append(elapsed)
                outputs[k].append(text)
                steps[k].append(tuple(b - a for a, b in zip(marks, marks[1:])))
                cpus[k].append(cpu)
                loads[k].append(load)
    return [
        Sample(spec.label, tuple(t), tuple(o), tuple(s), tuple(c), tuple(ld))
        for spec, t, o, s, c, ld in zip(specs, times, outputs, steps, cpus, loads)
    ]


def time_steps(
    steps: Sequence[Step],
    *,
    runs: int,
    label: str,
    env: Mapping[str, str] | None = None,
    before_each: Callable[[], None] | None = None,
    warmup: int = 1,
    expect: str | None = None,
) -> Sample:
    """Wall time of ``steps`` run in sequence; see :func:`measure`."""
    (sample,) = measure([Measure(label, steps, env, before_each, expect)], runs=runs, warmup=warmup)
    return sample


def time_command(
    argv: Sequence[Arg],
    *,
    runs: int,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    before_each: Callable[[], None] | None = None,
    label: str | None = None,
    warmup: int = 1,
    expect: str | None = None,
) -> Sample:
    """Wall time of one command; see :func:`time_steps`."""
    step = Step(argv, cwd)
    return time_steps(
        [step],
        runs=runs,
        label=label or step.text(),
        env=env,
        before_each=before_each,
        warmup=warmup,
        expect=expect,
    )


HEADER = (
    "| benchmark | ours (median) | baseline (median) | ratio | goal | result |\n"
    "|---|---|---|---|---|---|"
)


def row(
    name: str,
    ours: Sample,
    theirs: Sample | None,
    *,
    ratio: float | None,
    goal: str,
    ok: bool,
) -> str:
    """One table row: medians, the ratio the goal is about, and whether it was met."""
    base = f"{theirs.median:.3f} s" if theirs is not None else "-"
    factor = f"{ratio:.2f}x" if ratio is not None else "-"
    verdict = "met" if ok else "**missed**"
    return f"| {name} | {ours.median:.3f} s | {base} | {factor} | {goal} | {verdict} |"


def print_results(
    title: str,
    machine: Sequence[str],
    rows: Sequence[str],
    *,
    samples: Sequence[Sample],
    notes: Sequence[str],
    started: float,
) -> None:
    """A benchmark's output: the machine, the table, each sample's spread, CPU time and
    load, the notes, and how long the whole benchmark took."""
    print(f"{title}\n")
    print("\n".join(machine))
    print()
    print(HEADER)
    print("\n".join(rows))
    print()
    for sample in samples:
        print(
            f"- {sample.label}: median {sample.median:.3f} s, range {sample.spread}, "
            f"CPU median {sample.cpu_median:.2f} s, load average {sample.load}"
        )
    for note in notes:
        print(f"- {note}")
    print(f"\n(benchmark wall time {time.perf_counter() - started:.0f} s)")
