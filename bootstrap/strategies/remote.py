"""Remote: the environment lives on a Linux box reached with the system OpenSSH client.

The check is pure (is a host configured, is there an ssh client); the box's own facts
choose the variant when `up` detects there (bootstrap.steps.handoff)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap.host.facts import HostFacts
from bootstrap.plan.accel import GpuView
from bootstrap.plan.specs import Preflight, StepSpec
from bootstrap.plan.strategy import (
    Check,
    Settled,
    StepInputs,
    fit_for,
    no_fit_why,
    remote_fix,
)
from bootstrap.profiles import Profile

if TYPE_CHECKING:
    from bootstrap.plan.model import Plan
    from bootstrap.transports.ssh import Ssh

NAME = "remote"


def check(facts: HostFacts, profile: Profile) -> Check:
    hosts = profile.strategies.remote.hosts
    ev: dict[str, Any] = {"hosts": list(hosts), "ssh": facts.tools.ssh}
    if not hosts:
        return Check("remote", False, "no remote host is configured", ev, remote_fix())
    if not facts.tools.ssh:
        return Check("remote", False, "ssh was not found", ev, "install an OpenSSH client")
    # The remote's own facts decide its variant when `up` runs there; plan the newest
    # GPU variant when the profile wants a GPU, else CPU.
    wants_gpu = profile.needs.gpu != "none"
    gpu = (
        GpuView(assumed=True)
        if wants_gpu
        else GpuView(none_why="the profile does not ask for a GPU")
    )
    fit = fit_for(profile, "linux-x86_64", gpu)
    if fit.variant is None:
        return Check("remote", False, no_fit_why(profile, fit), ev, None, fit)
    return Check(
        "remote",
        True,
        f"a remote Linux box ({hosts[0]}) over ssh; it re-plans with its own facts",
        ev,
        None,
        fit,
    )


def steps(inp: StepInputs) -> tuple[StepSpec, ...]:
    from bootstrap.plan.strategy import handoff_steps

    settings = inp.profile.strategies.remote
    directory = settings.directory or "~/" + inp.project_name
    return handoff_steps(
        NAME,
        inp,
        hosts=settings.hosts,
        directory=directory,
        reach="over ssh without a prompt",
        accept_new_host_keys=settings.accept_new_host_keys or inp.accept_new_host_keys,
        parallel=settings.parallel,
    )


def transport(host: str, preflight: Preflight, *, dry_run: Callable[[str], None] | None) -> Ssh:
    """The box ``host`` (``[user@]host[:port]`` or an ssh_config alias) over OpenSSH."""
    from bootstrap.transports.ssh import Destination, Ssh

    return Ssh(
        Destination.parse(host),
        accept_new_host_keys=preflight.accept_new_host_keys,
        dry_run=dry_run,
    )


# What `python3 -m bootstrap.host` imports: detection and the few modules below it
# (standard library only; tests/strategies/test_detect_there.py runs them alone).
DETECTION_MODULES = ("__init__.py", "errors.py", "proc.py", "paths.py", "redact.py", "platforms.py")


def detection_files(package: Path) -> list[str]:
    """The package's files detection needs, relative to ``package``."""
    host = sorted(f"host/{p.name}" for p in (package / "host").glob("*.py"))
    return [*DETECTION_MODULES, *host]


def detect_there(ssh: object, python: str = "python3") -> HostFacts:
    """The box's facts with nothing installed there: the detection modules (standard
    library only) go over the connection as a tar on stdin into a private temporary
    directory, run as ``python3 -m bootstrap.host``, and are removed again."""
    import io
    import shlex
    import tarfile
    from pathlib import Path

    from bootstrap.errors import EXIT_TARGET_UNFIT, BootstrapError
    from bootstrap.transports.ssh import Ssh

    assert isinstance(ssh, Ssh)  # noqa: S101
    package = Path(__file__).resolve().parents[1]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for rel in detection_files(package):
            tar.add(package / rel, arcname=f"bootstrap/{rel}")
    script = (
        'd=$(mktemp -d) && trap \'rm -rf "$d"\' EXIT && base64 -d | tar -xf - -C "$d" '
        f'&& cd "$d" && {shlex.quote(python)} -m bootstrap.host'
    )
    import base64

    from bootstrap.peer import REPLY_LIMIT, check_facts, overflowed, parse_object

    res = ssh.run(
        script, timeout=60, input=base64.b64encode(buf.getvalue()).decode(), limit=REPLY_LIMIT
    )
    if res.overflow:
        raise overflowed(str(ssh.dest), "detection facts")
    if not res.ok:
        err = BootstrapError(
            f"{ssh.dest}: detection there failed: {res.describe()}",
            fix="the box needs a POSIX shell, base64, tar and Python >= 3.9",
            code="remote.detect",
        )
        err.exit_code = EXIT_TARGET_UNFIT
        raise err
    facts: HostFacts = check_facts(
        parse_object(res.stdout, target=str(ssh.dest), what="detection facts"),
        target=str(ssh.dest),
    )
    return facts


class Remote:
    """The environment lives on a Linux box, reached over OpenSSH."""

    name = NAME
    runs_here = False
    resources_here = False  # the box checks its own RAM and disk (the preflight)
    outranks_degraded = False

    def check(self, facts: HostFacts, profile: Profile) -> Check:
        return check(facts, profile)

    def steps(self, inp: StepInputs) -> tuple[StepSpec, ...]:
        return steps(inp)

    def warnings(self, profile: Profile) -> list[str]:
        return []

    def transport(
        self, host: str, preflight: StepSpec, *, dry_run: Callable[[str], None] | None
    ) -> Ssh:
        assert isinstance(preflight, Preflight)  # noqa: S101 - a remote plan's preflight
        return transport(host, preflight, dry_run=dry_run)

    def next_steps(self, preflight: Mapping[str, Any]) -> list[str]:
        where = ", ".join(preflight.get("hosts", []))
        return [f"next: ssh {where}, then cd {preflight.get('directory')} and work there"]

    def settled(self, plan: Plan) -> Settled | None:
        return None  # every run checks the target again

    def still_up(self, marker: Mapping[str, str]) -> bool:
        return False


STRATEGY = Remote()
