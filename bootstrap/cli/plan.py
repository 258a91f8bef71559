"""`bootstrap plan`: what `up` would do on this machine (or a captured one), and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from bootstrap.cli.params import plan_overrides


@click.command(
    epilog="""\b
Examples:
  bootstrap plan                              the default profile on this machine
  bootstrap plan --profile ai-training --json
  bootstrap plan --project ../team-repo       the profile the project keeps
  bootstrap plan --profile ai-training --replay support/   a captured machine
  bootstrap plan --profile ai-training --facts host.json   `bootstrap detect --json` output
  bootstrap plan --profile ai-training --strategy wsl2 --target linux-x86_64-cu126
  bootstrap plan --remote me@gpu-box --no-probe   what `up --remote me@gpu-box` runs
\b
It makes the plan exactly as `bootstrap up` with the same options does.
\b
Exit codes: 0 a plan, 1 no strategy fits (every check is printed with its fix),
2 bad input (profile, flag, facts file).
"""
)
@click.option(
    "--profile",
    "-p",
    help="Profile name or path (default: the project's own profile, else `default`).",
)
@click.option("--project", metavar="DIR", help="The project (and, with no --profile, its profile).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option(
    "--replay",
    type=click.Path(file_okay=False, path_type=Path),
    help="Plan for the machine captured in DIR (`bootstrap detect --capture DIR`).",
)
@click.option(
    "--facts",
    "facts_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Plan for the host facts in FILE (`bootstrap detect --json` output).",
)
@click.option("--cache-bundle", metavar="FILE", help="Plan the import of this cache bundle.")
@click.option("--online", is_flag=True, help="Plan a sync that may use the package index.")
@plan_overrides
@click.option(
    "--probe/--no-probe",
    default=True,
    show_default=True,
    help="For a remote plan, detect on each box over ssh and show its re-planned variant.",
)
def plan(  # noqa: PLR0917 - click passes each option as an argument
    profile: str | None,
    project: str | None,
    as_json: bool,
    replay: Path | None,
    facts_file: Path | None,
    strategy: str | None,
    target: str | None,
    lock: str | None,
    cache_bundle: str | None,
    online: bool,
    remote: str | None,
    accept_new_host_keys: bool,
    probe: bool,
) -> int:
    """Show which strategy, target and lock `up` would use here, its steps, and why."""
    from bootstrap.console import print_json
    from bootstrap.plan.model import PlanError
    from bootstrap.request import PlanRequest, load, make

    if replay is not None and facts_file is not None:
        raise click.UsageError("--replay and --facts do not go together")
    request = PlanRequest(
        profile=profile,
        project=project,
        strategy=strategy,
        target=target,
        lock=lock,
        cache_bundle=cache_bundle,
        online=online,
        remote=remote,
        accept_new_host_keys=accept_new_host_keys,
    )
    # The profile first (a bad one fails before detection), then the plan exactly as
    # `up` makes it (bootstrap.request.make): what this prints is what `up` runs.
    loaded = load(request)
    facts = _facts(replay, facts_file)
    try:
        _, result = make(request, facts, profile=loaded)
        code = 0
    except PlanError as exc:
        result = exc.plan
        code = exc.exit_code
        from bootstrap.console import error

        first = exc.message.splitlines()[0].rstrip(":")
        error(
            f"{first}; every check and its fix is listed " + ("in reasons" if as_json else "above")
        )
    there = _remote_view(result, loaded) if result.strategy == "remote" and probe else None
    if as_json:
        print_json({**result.to_dict(), **({"remote": there} if there else {})})
    else:
        from bootstrap.plan.render import render

        render(result)
        for line in _remote_lines(there):
            click.echo(line)
    return code


def _remote_view(result: Any, loaded: Any) -> dict[str, Any] | None:
    """Each box's own facts and the variant they choose (the plan's remote re-plan)."""
    from bootstrap.errors import BootstrapError
    from bootstrap.plan import specs
    from bootstrap.plan.planner import Overrides, make_plan
    from bootstrap.strategies import REGISTRY
    from bootstrap.strategies.remote import detect_there
    from bootstrap.transports.ssh import Destination, Ssh

    preflight = result.step(specs.Preflight)
    out: dict[str, Any] = {}
    for host in preflight.hosts if preflight else ():
        ssh = Ssh(Destination.parse(host), accept_new_host_keys=preflight.accept_new_host_keys)
        try:
            facts = detect_there(ssh)
            there = make_plan(facts, loaded, Overrides(strategy="native"), strategies=REGISTRY)
            accel = next(r for r in there.reasons if r.decision == "accelerator")
            out[host] = {
                "facts": facts.to_dict(),
                "target": there.target,
                "lock": there.lock.path,
                "extras": list(there.lock.extras),
                "why": accel.why,
            }
        except BootstrapError as exc:
            out[host] = {"error": exc.message, "fix": exc.fix, "code": exc.code}
        finally:
            ssh.close()
    return out


def _remote_lines(there: dict[str, Any] | None) -> list[str]:
    lines = []
    for host, info in (there or {}).items():
        if "error" in info:
            lines.append(f"remote {host}: {info['error']}")
            if info.get("fix"):
                lines.append(f"  fix: {info['fix']}")
            continue
        f = info["facts"]
        gpus = (
            ", ".join(
                f"{g.get('vendor')} driver {g.get('driver_version')}" for g in f.get("gpus", [])
            )
            or "no GPU"
        )
        libc = f.get("libc") or {}
        lines.append(
            f"remote {host}: {f.get('os')} {f.get('arch')}, {libc.get('family')} "
            f"{libc.get('version')}, {gpus}"
        )
        lines.append(f"  re-planned there: {info['target']} ({info['why']})")
    return lines


def _facts(replay: Path | None, facts_file: Path | None) -> Any:
    from bootstrap import host
    from bootstrap.errors import UserError
    from bootstrap.host.facts import HostFacts, check_facts

    if replay is not None:
        if not replay.is_dir():
            raise click.BadParameter(f"{replay}: no such directory", param_hint="--replay")
        return host.replay(replay)
    if facts_file is not None:
        try:
            data = json.loads(facts_file.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise TypeError(f"expected a JSON object, found {type(data).__name__}")
            found = HostFacts.from_dict(data)
            check_facts(found)
            return found
        except FileNotFoundError:
            raise UserError(f"--facts {facts_file}: no such file") from None
        except RecursionError:
            raise UserError(f"--facts {facts_file}: nested too deeply to be host facts") from None
        except (ValueError, KeyError, TypeError, OverflowError, AttributeError, OSError) as exc:
            raise UserError(
                f"--facts {facts_file}: not host facts JSON ({type(exc).__name__}: {exc})",
                fix="write it with `bootstrap detect --json > FILE`",
            ) from None
    return host.detect()
