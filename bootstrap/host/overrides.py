"""Overrides: for machines that lie, and for tests.

* ``BOOTSTRAP_CUDA_DRIVER=<version>`` -- as conda's ``CONDA_OVERRIDE_CUDA`` and uv's
  ``UV_CUDA_DRIVER_VERSION``: one NVIDIA GPU with that driver (the CUDA it supports from
  the driver table); empty means "no NVIDIA GPU".
* ``BOOTSTRAP_FACT_<KEY>=<JSON>`` -- any top-level fact of ``detect --json``, e.g.
  ``BOOTSTRAP_FACT_MEMORY_BYTES=8000000000``, ``BOOTSTRAP_FACT_WSL=2``,
  ``BOOTSTRAP_FACT_CONTAINER='"docker"'``, ``BOOTSTRAP_FACT_OS='"macos"'``. A value that
  is not JSON is taken as a string.

Overridden facts are listed under ``overrides`` in the output.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from bootstrap.errors import UserError
from bootstrap.host.cuda import is_driver_version, max_cuda_for_driver
from bootstrap.host.facts import HostFacts, check_facts

PREFIX = "BOOTSTRAP_FACT_"
CUDA_VAR = "BOOTSTRAP_CUDA_DRIVER"
NOT_OVERRIDABLE = ("probes", "overrides")


def apply_overrides(facts: HostFacts, environ: Mapping[str, str]) -> HostFacts:
    data = facts.to_dict()
    applied: dict[str, str] = {}
    if CUDA_VAR in environ:
        raw = environ[CUDA_VAR].strip()
        others = [g for g in data["gpus"] if g["vendor"] != "nvidia"]
        if raw:
            if not is_driver_version(raw):
                raise UserError(
                    f"{CUDA_VAR}={raw!r}: expected an NVIDIA driver version such as 550.54.14",
                    fix=f"set {CUDA_VAR} to a driver version, or to '' for no NVIDIA GPU",
                    code="host.bad_override",
                )
            gpu = {
                "vendor": "nvidia",
                "name": "NVIDIA GPU (override)",
                "memory_bytes": None,
                "driver_version": raw,
                "cuda_version": max_cuda_for_driver(raw),
                "rocm_version": None,
            }
            others.insert(0, gpu)
        data["gpus"] = others
        applied[CUDA_VAR] = raw
    fields = {f.name for f in dataclasses.fields(HostFacts)} - set(NOT_OVERRIDABLE)
    for var in sorted(environ):
        if not var.startswith(PREFIX):
            continue
        key = var[len(PREFIX) :].lower()
        if key not in fields:
            import difflib

            near = difflib.get_close_matches(key, sorted(fields), n=1)
            raise UserError(
                f"{var}: {key!r} is not a host fact"
                + (f" (did you mean {PREFIX}{near[0].upper()}?)" if near else ""),
                fix="see `bootstrap detect --json` for the fact names",
                code="host.bad_override",
            )
        data[key] = _value(var, environ[var])
        applied[var] = environ[var]
    if not applied:
        return facts
    data["overrides"] = applied
    try:
        found = HostFacts.from_dict(data)
        check_facts(found)
    except (TypeError, ValueError, KeyError, OverflowError, AttributeError) as exc:
        raise UserError(
            f"{', '.join(sorted(applied))}: the overridden facts do not fit ({exc})",
            fix="see `bootstrap detect --json` for each fact's type",
            code="host.bad_override",
        ) from None
    return found


def _value(var: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except RecursionError:
        raise UserError(
            f"{var}: nested too deeply to be a host fact", code="host.bad_override"
        ) from None
    except ValueError:
        return raw
