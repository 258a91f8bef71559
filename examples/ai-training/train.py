"""First run: report which accelerator variant is installed, run a tiny loop, exit 0."""

from __future__ import annotations

import sys
from importlib import metadata

from tqdm import tqdm

# The distribution each variant brings, newest first.
VARIANTS = (("cu130", "nvidia-cuda-runtime"), ("cu126", "nvidia-cuda-runtime-cu12"))


def installed_variant() -> tuple[str, str | None]:
    for variant, dist in VARIANTS:
        try:
            return variant, f"{dist}=={metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            continue
    return "cpu", None


def main() -> int:
    variant, dist = installed_variant()
    loss = 1.0
    for _ in tqdm(range(200), desc="train", disable=not sys.stderr.isatty()):
        loss *= 0.98
    print(f"variant: {variant}" + (f" ({dist})" if dist else ""))
    print(f"loss after 200 steps: {loss:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
