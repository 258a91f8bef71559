"""Benchmark: `bootstrap detect --json` against `python -c "import click, rich"`.

Goal (issue 2): detect takes at most 3x the wall time of importing click and rich, the
floor any rich CLI pays. Both run through this venv's Python; medians of N runs.

    uv run python bench/bench_detect.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

GOAL = 3.0


def median_seconds(argv: Sequence[str], runs: int) -> float:
    subprocess.run(argv, check=True, capture_output=True)  # warm the page cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    py = sys.executable
    detect = median_seconds([py, "-m", "bootstrap", "detect", "--json"], args.runs)
    baseline = median_seconds([py, "-c", "import click, rich"], args.runs)
    ratio = detect / baseline
    print(f"runs per command: {args.runs}")
    print(f"bootstrap detect --json     median {detect * 1000:7.1f} ms")
    print(f'python -c "import click, rich" median {baseline * 1000:7.1f} ms')
    print(f"ratio {ratio:.2f}x (goal <= {GOAL:.0f}x): {'ok' if ratio <= GOAL else 'OVER'}")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
