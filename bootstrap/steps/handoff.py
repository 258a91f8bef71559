"""The handoff executors: carry out a plan whose environment lives elsewhere.

The contract every non-native strategy shares, whatever its transport
(:mod:`bootstrap.transports.base`; ssh for remote): reach the target
and check it (*preflight*), send the project's files (git's tracked and
untracked-not-ignored ones, nothing secret, only what changed) and install the
bootstrapper there from its wheel, checked by SHA-256 (*transfer*,
:mod:`bootstrap.steps.carry`), detect there with ``python3 -m bootstrap.host`` and
re-plan the variant from the target's own facts through the orchestrator's
``ctx.replan`` (*detect-there*), send the cache bundle for the target's key
(*ship-bundle*), run stage 0 there with this host's elapsed time passed through
(*run-there*, output streamed with a prefix), bring the target's TimingReport back
(*collect-report*). The orchestrator (bootstrap.steps.run) runs these steps once per
host and records the target's report here with strategy, target and a ``handoff``
phase. Exit codes propagate. Sink tokens stay on this host: the target runs with
metrics off and nothing secret is sent (no .env, no keys, nothing git ignores; the
bundle).
"""

from __future__ import annotations

import contextlib
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap.errors import EXIT_TARGET_UNFIT, BootstrapError, UserError
from bootstrap.peer import (
    REPLY_LIMIT,
    check_facts,
    check_probe,
    check_report,
    clean_line,
    overflowed,
    parse_object,
)
from bootstrap.plan import specs
from bootstrap.plan.carry import PROFILE_THERE, SELF_DIR, stage0_there
from bootstrap.steps import Context
from bootstrap.steps.state import fingerprint

if TYPE_CHECKING:
    from bootstrap.host.facts import HostFacts
    from bootstrap.transports.base import Transport

STAGE = ".bootstrap-stage"  # private staging directory inside the remote directory
MIN_PYTHON = (3, 9)


class Unfit(BootstrapError):
    """The target cannot hold the environment: OS, arch, libc, Python, shell or disk."""

    exit_code = EXIT_TARGET_UNFIT


class TargetFailed(BootstrapError):
    """Stage 0 in the target failed, or the target could not be reached: its exit code
    becomes ours (the orchestrator records the host's report either way)."""

    def __init__(self, message: str, *, exit_code: int, code: str, fix: str | None = None):
        super().__init__(message, fix=fix, code=code)
        self.exit_code = exit_code


@dataclass
class Target:
    """One target of a handoff: its transport and what the run learnt about it."""

    name: str
    link: Transport
    directory: str
    probe: dict[str, str] = field(default_factory=dict)
    facts: HostFacts | None = None
    target_key: str | None = None
    bundle_remote: str | None = None
    bundle_sha: str | None = None
    # The box has no Python: the bundle's pinned CPython (this version) is installed
    # there by stage 0 before detection, which then runs on it.
    provide_python: str = ""
    sent: int | None = None
    exit_code: int | None = None
    report: dict[str, Any] | None = None

    @property
    def dir_word(self) -> str:
        return self.link.dir_word(self.directory)


def _target(ctx: Context) -> Target:
    target = ctx.handoff.get("target")
    if not isinstance(target, Target):  # pragma: no cover - the orchestrator sets it
        raise BootstrapError("no handoff target in this run", code="steps.no_target")
    return target


class EveryRun:
    """A handoff step runs on every `up`: the target may have changed since the last
    one, and the target's own stage 0 is what makes a re-run cheap there."""

    phase = "handoff"

    def fingerprint(self, spec: specs.StepSpec, ctx: Context) -> str:
        return "every-run"

    def check(self, spec: specs.StepSpec, ctx: Context) -> str | None:
        return None


# -- preflight ------------------------------------------------------------------------

PROBE = r"""
printf 'os=%s\n' "$(uname -s)"
printf 'arch=%s\n' "$(uname -m)"
for p in python3 python; do
  if command -v "$p" >/dev/null 2>&1; then
    v=$("$p" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)
    printf 'python=%s\n' "$v"
    printf 'python_cmd=%s\n' "$p"
    break
  fi
done
for t in rsync curl wget sha256sum tar unzip busybox; do
  command -v "$t" >/dev/null 2>&1 && printf '%s=1\n' "$t"
done
printf 'libc=%s\n' "$( (ldd --version 2>&1 || true) | head -n 1)"
mkdir -p DIR && chmod 700 DIR && printf 'disk_kb=%s\n' "$(df -Pk DIR | awk 'NR==2 {print $4}')"
rm -rf DIR/STAGE && mkdir -m 700 DIR/STAGE
"""


def parse_probe(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.isidentifier():
            out[key] = value.strip()
    return out


def unfit_reasons(
    probe: dict[str, str], *, min_disk_gb: float, bundle_python: str = ""
) -> list[tuple[str, str, str]]:
    """[(code, message, fix)] for everything that keeps the box from holding the
    environment. Pure, so every case is a table row in the tests. ``bundle_python``: the
    pinned CPython the bundle carries for the box, which stage 0 installs there (so no
    python3 is no reason)."""
    out: list[tuple[str, str, str]] = []
    system = probe.get("os", "")
    if system != "Linux":
        out.append(
            (
                "remote.not_linux",
                f"the box runs {system or 'an unknown OS'}, not Linux",
                "point [strategies.remote] hosts at a Linux machine",
            )
        )
    arch = probe.get("arch", "")
    if arch not in ("x86_64", "amd64", "aarch64", "arm64"):
        out.append(
            (
                "remote.arch",
                f"unsupported CPU architecture {arch or '?'} (x86_64 and arm64 are)",
                "use an x86_64 or arm64 Linux box",
            )
        )
    libc = probe.get("libc", "")
    if "musl" in libc.lower():
        out.append(
            (
                "remote.musl",
                "the box uses musl libc: the locks' manylinux wheels need glibc",
                "use a glibc distribution (Debian, Ubuntu, Fedora, ...) for the box",
            )
        )
    else:
        version = _glibc(libc)
        if version is not None and version < (2, 17):
            out.append(
                (
                    "remote.glibc",
                    f"glibc {version[0]}.{version[1]} is older than the wheels' floor "
                    "(manylinux2014: glibc 2.17)",
                    "upgrade the box's distribution",
                )
            )
    py = probe.get("python", "")
    parts = tuple(int(p) for p in py.split(".")[:2] if p.isdigit())
    if not py and bundle_python and "unzip" not in probe and "busybox" not in probe:
        out.append(
            (
                "remote.no_unzip",
                "the box has no python3, and neither unzip nor busybox to unpack the "
                "bundle's uv wheel (stage 0 installs uv before the bundled Python)",
                "install unzip there (`apt-get install unzip`), or python3",
            )
        )
    if not py and not bundle_python:
        out.append(
            (
                "remote.no_python",
                "the box has no python3 (detection and the bootstrapper need Python >= 3.9)",
                "install it there (`apt-get install python3`, `dnf install python3`), or give "
                "a bundle that carries one: bootstrap python pin 3.X.Y --target KEY, then "
                "bootstrap cache pack --profile NAME --target KEY --with-python --out FILE",
            )
        )
    elif len(parts) == 2 and parts < MIN_PYTHON:
        out.append(
            (
                "remote.old_python",
                f"the box's Python is {py}; the bootstrapper needs >= 3.9",
                "install a newer python3 there",
            )
        )
    if "tar" not in probe and "rsync" not in probe:
        out.append(
            ("remote.no_tar", "the box has neither rsync nor tar", "install rsync or tar there")
        )
    if "sha256sum" not in probe:
        out.append(
            (
                "remote.no_sha256",
                "the box has no sha256sum to verify uv with",
                "install coreutils there",
            )
        )
    free_kb = probe.get("disk_kb", "")
    if min_disk_gb and free_kb.isdigit() and int(free_kb) * 1024 < min_disk_gb * 1024**3:
        out.append(
            (
                "remote.disk",
                f"{int(free_kb) / 1024**2:.1f} GB free there; the profile needs {min_disk_gb:g} GB",
                "free disk space there or set [strategies.remote] directory on a bigger disk",
            )
        )
    return out


def _glibc(banner: str) -> tuple[int, int] | None:
    """(major, minor) from the box's `ldd --version` first line, read as detection reads
    it (distribution banners such as Gentoo's name no "glibc")."""
    from bootstrap.host.parse import ldd_version

    found = ldd_version(banner)
    if found is None or found[0] != "glibc" or not found[1]:
        return None
    major, minor = found[1].split(".")[:2]
    return int(major), int(minor)


class PreflightStep(EveryRun):
    def run(self, spec: specs.Preflight, ctx: Context) -> str:
        from bootstrap.steps.carry import TOOL_REPO

        check_stage0_script(TOOL_REPO)  # the install.sh the transfer sends: before anything
        target = _target(ctx)
        script = PROBE.replace("DIR", target.dir_word).replace("STAGE", STAGE)
        res = target.link.run(script, timeout=30, limit=REPLY_LIMIT)
        if res.overflow:
            raise overflowed(target.name, "probe")
        probe = check_probe(parse_probe(res.stdout), target=target.name)
        target.probe = probe
        if target.link.dry_run is not None:
            return "dry run"
        provided = _bundle_python_for(probe, ctx) if not probe.get("python") else ""
        problems = unfit_reasons(probe, min_disk_gb=spec.min_disk_gb, bundle_python=provided)
        if problems:
            code, message, fix = problems[0]
            more = "; ".join(p[1] for p in problems[1:])
            raise Unfit(
                f"{target.name}: {message}" + (f" (also: {more})" if more else ""),
                fix=fix,
                code=code,
            )
        if provided:
            target.provide_python = provided
            python = f"no python3: stage 0 installs the bundle's pinned CPython {provided}"
        else:
            python = f"Python {probe.get('python')}"
        return (
            f"{probe.get('os')} {probe.get('arch')}, {python}, "
            f"{int(probe.get('disk_kb', '0') or 0) / 1024**2:.1f} GB free"
        )


def _bundle_python_for(probe: dict[str, str], ctx: Context) -> str:
    """The version of the pinned CPython the plan's bundle carries for the box's
    platform (the pin is this repository's, the one sent there), or ""."""
    ship = ctx.plan.step(specs.ShipBundle)
    if ship is None or not ship.bundle:
        return ""
    from bootstrap.cache.use import bundle_pythons

    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(probe.get("arch", ""), probe.get("arch", ""))
    libc = "musl" if "musl" in probe.get("libc", "").lower() else "gnu"
    triple = f"{arch}-unknown-linux-{libc}"
    return next((p[1] for p in bundle_pythons(ship.bundle) if p[0] == triple), "")


# -- the script that runs there ---------------------------------------------------------

STAGE0_SCRIPT = "install.sh"


def check_stage0_script(folder: Path) -> None:
    """Refuse to hand over an install.sh with CR line endings (a Windows checkout made
    before the repository's .gitattributes, or an editor's): the target runs it with
    `sh install.sh`, and dash, bash and busybox stop at its first line with a CR, with a
    message about that line, not about the file. Refused here, named, with the fix;
    never rewritten behind the user's back (the file is theirs, and tracked)."""
    path = folder / STAGE0_SCRIPT
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 20)
    except OSError:
        return  # no script here: the transfer or the target names what is missing
    if b"\r" not in head:
        return
    raise UserError(
        f"{path} has Windows line endings (CRLF): `sh {STAGE0_SCRIPT}` on the target "
        "would stop at its first line",
        code="handoff.crlf_script",
        fix=f"check it out again with LF endings: cd {shlex.quote(str(folder))} && "
        f"rm {STAGE0_SCRIPT} && git -c core.autocrlf=false checkout -- {STAGE0_SCRIPT}",
    )


# -- transfer -------------------------------------------------------------------------


def tracked_files(repo: Path) -> list[str]:
    """The files a handoff sends of ``repo``: git's tracked and untracked-not-ignored
    files, nothing secret (:func:`bootstrap.steps.carry.project_files`)."""
    from bootstrap.steps.carry import project_files

    return project_files(repo)[0]


class TransferStep(EveryRun):
    """The project's files, then the bootstrapper's artifact and the profile (into the
    project's ``.bootstrap/`` there), then the bootstrapper installed there from the
    artifact, every file checked against the SHA-256 computed here."""

    def run(self, spec: specs.Transfer, ctx: Context) -> str:
        import tempfile

        from bootstrap.steps import carry

        target = _target(ctx)
        repo = Path(spec.repo)
        if not repo.is_dir():
            raise UserError(
                f"the project {repo} does not exist here",
                fix="clone the project there, or set the profile's [project] path",
                code="handoff.no_project",
            )
        files, how = carry.project_files(repo)
        sent = _send_files(target, repo, files)
        if target.link.dry_run is not None:
            target.sent = sent
            return f"would send {len(files)} files ({how}), the bootstrapper's wheel and profile"
        art = carry.self_artifact(ctx.paths)
        ctx.paths.cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="carry-", dir=ctx.paths.cache) as tmp:
            payload = carry.stage_payload(Path(tmp), art, spec.profile)
            # Through the transport's stdin (the files whose hash differs there): this
            # cache need not be where the target can read it (wsl.exe reads /mnt/<drive>).
            if "bind_mount" in target.probe:
                sent += _send_files(target, Path(tmp), payload)
            else:
                sent += _tar_transfer(target, Path(tmp), payload)
        res = target.link.run(
            carry.install_self_script(target.dir_word, art), timeout=300, input=art.sums_text()
        )
        if res.overflow:
            raise overflowed(target.name, "the bootstrapper's install")
        if res.returncode == 3:
            raise BootstrapError(
                f"{target.name}: the bootstrapper's files there do not match the SHA-256 "
                "computed here (changed on the way)",
                fix="run `bootstrap up` again; if it repeats, check the disk there",
                code="handoff.self_checksum",
            )
        if not res.ok:
            raise BootstrapError(
                f"{target.name}: could not install the bootstrapper there: "
                f"{clean_line(res.describe(), 600)}",
                fix="the target needs sha256sum, and python3 or unzip",
                code="handoff.self_install",
            )
        target.sent = sent
        done = "already there" if res.stdout.strip().endswith("present") else "installed"
        return (
            f"{sent} of {len(files) + len(payload)} files sent; {how}; "
            f"bootstrapper {art.wheel} {done}, sha256 {art.wheel_sha256[:12]}"
        )


def _send_files(target: Target, repo: Path, files: list[str]) -> int:
    """``files`` of ``repo`` into the target's directory, only what changed: rsync, a
    container's bind mount, else a tar of the files whose hash differs there."""
    direct = "rsync" in target.probe or "bind_mount" in target.probe
    if direct or target.link.dry_run is not None:
        res = target.link.sync_tree(repo, files, target.directory, timeout=600)
        if not res.ok:
            raise BootstrapError(
                f"rsync to {target.name} failed: {res.describe()}", code="remote.transfer"
            )
        return _rsync_sent(res.stdout)
    return _tar_transfer(target, repo, files)


def _rsync_sent(stats: str) -> int:
    import re

    m = re.search(r"Number of regular files transferred:\s*([\d,]+)", stats)
    return int(m.group(1).replace(",", "")) if m else 0


def _tar_transfer(target: Target, repo: Path, files: list[str]) -> int:
    """No rsync on one side: send only the files whose SHA-256 differs from the file
    there, as one tar stream. The hashes are computed there, of the files as they are
    now (a file deleted or edited there is sent again); never read from a manifest the
    box keeps about itself."""
    import hashlib
    import subprocess
    import tarfile

    there = _hashes_there(target, files)
    new = {n: hashlib.sha256((repo / n).read_bytes()).hexdigest() for n in files}
    changed = [n for n in files if there.get(n) != new[n]]
    if changed:
        argv = target.link.pipe_argv(
            f"mkdir -p {target.dir_word} && tar -xf - -C {target.dir_word}"
        )
        with subprocess.Popen(argv, stdin=subprocess.PIPE) as child:
            assert child.stdin is not None  # noqa: S101
            with tarfile.open(fileobj=child.stdin, mode="w|") as tar:
                for name in changed:
                    tar.add(repo / name, arcname=name, recursive=False)
            child.stdin.close()
            if child.wait(timeout=600) != 0:
                raise BootstrapError(
                    f"tar to {target.name} failed (exit {child.returncode})",
                    code="remote.transfer",
                )
    return len(changed)


def _hashes_there(target: Target, files: list[str]) -> dict[str, str]:
    """{name: sha256} of those of ``files`` that exist there, computed there by
    `sha256sum` (the preflight made sure it exists). A line that is not ``<64 hex>  <one
    of our names>`` (sha256sum escapes odd names with a leading backslash) is ignored:
    that file is sent again."""
    import re

    listing = "\0".join(files)
    res = target.link.run(
        f"cd {target.dir_word} 2>/dev/null && xargs -0 sha256sum -- 2>/dev/null; true",
        timeout=300,
        input=listing,
    )
    if res.overflow:
        raise overflowed(target.name, "file hashes")
    wanted = set(files)
    out: dict[str, str] = {}
    for line in res.stdout.splitlines():
        m = re.fullmatch(r"([0-9a-f]{64})  (.+)", line)
        if m and m.group(2) in wanted:
            out[m.group(2)] = m.group(1)
    return out


# -- detect there, re-plan ---------------------------------------------------------------


class DetectThereStep(EveryRun):
    def run(self, spec: specs.DetectThere, ctx: Context) -> str:
        target = _target(ctx)
        python = shlex.quote(target.probe.get("python_cmd", "python3"))
        # Detection runs from the bootstrapper the transfer installed there.
        command = f"cd {target.dir_word}/{SELF_DIR} && {python} -m bootstrap.host"
        if target.provide_python and target.link.dry_run is None:
            command = _detect_on_bundled_python(target, ctx)
        res = target.link.run(command, timeout=300, limit=REPLY_LIMIT)
        if target.link.dry_run is not None:
            target.target_key = ctx.plan.target
            return "dry run: the plan's variant"
        if res.overflow:
            raise overflowed(target.name, "detection facts")
        if not res.ok:
            raise Unfit(
                f"{target.name}: detection failed there: {clean_line(res.describe(), 600)}",
                code="remote.detect",
            )
        facts = parse_object(res.stdout, target=target.name, what="detection facts")
        target.facts = check_facts(facts, target=target.name)
        if ctx.replan is None:  # pragma: no cover - the orchestrator supplies it
            raise BootstrapError("no re-planning in this run", code="steps.no_replan")
        there = ctx.replan(target.facts)
        target.target_key = there.target
        accel = next((r for r in there.reasons if r.decision == "accelerator"), None)
        return f"{there.target}" + (f": {accel.why}" if accel else "")


def _detect_on_bundled_python(target: Target, ctx: Context) -> str:
    """No Python there: send the bundle now (checked here against the locks and both
    pins first) and let stage 0 install uv and the pinned interpreter from it, offline,
    then detect with that interpreter (through `install.sh --uv run`). The ship-bundle
    step finds the bundle already there."""
    from bootstrap.cache import Expect, verify
    from bootstrap.cache.bundle import sha256_file
    from bootstrap.cache.pin import repo_pin
    from bootstrap.cache.use import locks_for

    ship = ctx.plan.step(specs.ShipBundle)
    assert ship is not None and ship.bundle  # noqa: S101 - preflight checked it
    bundle = Path(ship.bundle)
    verify(bundle, Expect(locks=locks_for(ctx.project / ctx.plan.lock.path), pin=repo_pin()))
    _send_bundle(target, bundle)
    target.bundle_sha = sha256_file(bundle)
    # From the bootstrapper the transfer installed (.bootstrap/self): the bundle is two
    # levels up, in the project's directory.
    argv = ["sh", "install.sh", "--cache-bundle", f"../../{target.bundle_remote or ''}"]
    argv += ["--uv", "run", "--offline", "--no-project", "--managed-python"]
    argv += ["--python", target.provide_python, "python", "-m", "bootstrap.host"]
    return f"cd {target.dir_word}/{SELF_DIR} && {shlex.join(argv)}"


def _send_bundle(target: Target, bundle: Path) -> None:
    remote = f"{STAGE}/{bundle.name}"
    res = target.link.put_file(bundle, target.directory, remote, timeout=1800)
    if not res.ok:
        raise BootstrapError(
            f"sending the bundle to {target.name} failed: {res.describe()}",
            code="remote.transfer",
        )
    target.bundle_remote = remote


# -- the bundle -------------------------------------------------------------------------


class ShipBundleStep(EveryRun):
    def run(self, spec: specs.ShipBundle, ctx: Context) -> str:
        from bootstrap.cache import Expect, verify
        from bootstrap.cache.bundle import sha256_file
        from bootstrap.cache.pin import repo_pin
        from bootstrap.cache.use import locks_for

        target = _target(ctx)
        key = target.target_key or ctx.plan.target
        if spec.bundle:
            bundle = Path(spec.bundle)
        elif target.link.dry_run is not None:
            return f"would pack a bundle for {key} here"
        else:
            packed = _pack_here(ctx, key)
            if packed is None:
                return (
                    f"no bundle given and none could be packed for {key} here: the target "
                    "uses its own cache and the profile's network policy"
                )
            bundle = packed
        if target.link.dry_run is None:
            if not bundle.is_file():
                raise UserError(f"cache bundle {bundle} does not exist", code="bundle.missing")
            # Its files must be the ones the repository's locks name and its target the
            # re-planned one; stage 0 there checks it all again, with the Python it uses.
            verify(
                bundle,
                Expect(
                    locks=locks_for(ctx.project / ctx.plan.lock.path),
                    pin=repo_pin(),
                    target=key,
                ),
            )
            if target.bundle_remote and target.bundle_sha == sha256_file(bundle):
                return f"{bundle.name} for {key}: already sent (stage 0 installed its Python)"
            target.bundle_sha = sha256_file(bundle)
            done = ctx.state.steps.get(f"bundle:{target.name}", {})
            if done.get("sha256") == target.bundle_sha and done.get("status") == "done":
                return f"bundle for {key} already imported there"
        remote = f"{STAGE}/{bundle.name}"
        from bootstrap.transports.ssh import Ssh

        # ssh copies the bundle with rsync; a box without it gets it through stdin, as
        # the tar transfer sends the files (wsl.exe and a container copy it locally).
        no_rsync = isinstance(target.link, Ssh) and "rsync" not in target.probe
        if no_rsync and target.link.dry_run is None:
            res = _pipe_file(target, bundle, remote)  # through stdin, as the tar transfer
        else:
            res = target.link.put_file(bundle, target.directory, remote, timeout=1800)
        if not res.ok:
            raise BootstrapError(
                f"sending the bundle to {target.name} failed: {res.describe()}",
                code="remote.transfer",
            )
        target.bundle_remote = remote
        return f"{bundle.name} ({bundle.stat().st_size / 1e6:.1f} MB) for {key}"


def _pipe_file(target: Target, path: Path, name: str) -> Any:
    """``path`` to ``name`` (relative to the target's directory) through the transport's
    stdin, for a box without rsync: written to a partial file, renamed when complete."""
    import shutil
    import subprocess

    from bootstrap import proc

    dest = f"{target.dir_word}/{shlex.quote(name)}"
    argv = target.link.pipe_argv(f"cat > {dest}.partial && mv -f {dest}.partial {dest}")
    start = time.monotonic()
    with subprocess.Popen(argv, stdin=subprocess.PIPE) as child, path.open("rb") as fh:
        assert child.stdin is not None  # noqa: S101
        with contextlib.suppress(BrokenPipeError):  # the exit code says why
            shutil.copyfileobj(fh, child.stdin, 1 << 20)
        with contextlib.suppress(BrokenPipeError):
            child.stdin.close()
        code = child.wait(timeout=1800)
    return proc.Result(tuple(argv), code, "", "", time.monotonic() - start)


def _pack_here(ctx: Context, key: str) -> Path | None:
    """Pack the bundle for ``key`` on this host (it needs the index), kept by the locks'
    digest so the next run reuses it; None when packing fails (no network)."""
    import sys

    from bootstrap import proc
    from bootstrap.steps.state import file_digest

    profile = ctx.plan.profile_path
    python = ".".join(_target(ctx).probe.get("python", "").split(".")[:2])
    digest = fingerprint(
        key,
        python,
        file_digest(Path(profile)),
        file_digest(ctx.project / ctx.plan.lock.path),
        file_digest(Path(specs.__file__).parents[2] / "uv.lock"),
    )[:16]
    out = ctx.paths.cache / "bundles" / f"packed-{key}-{digest}.tar"
    if out.is_file():
        ctx.notes.append(f"reused the bundle packed here for {key}")
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    ctx.view.note(f"packing a cache bundle for {key} here (bootstrap cache pack)...")
    argv = [sys.executable, "-m", "bootstrap", "cache", "pack", "--profile", profile]
    argv += ["--target", key, "--out", str(partial)]
    if python:
        argv += ["--python", python]  # the wheels must serve the Python found there
    res = proc.run(argv, timeout=1800)
    if not res.ok:
        partial.unlink(missing_ok=True)
        ctx.notes.append(f"could not pack a bundle for {key} here: {res.describe()}")
        return None
    partial.replace(out)
    ctx.notes.append(f"packed a cache bundle for {key} here")
    return out


# -- run there, collect ---------------------------------------------------------------


class RunThereStep(EveryRun):
    phase = "remote"  # replaced by the target's own phases in the report

    def run(self, spec: specs.RunThere, ctx: Context) -> str:
        target = _target(ctx)
        started = float(ctx.handoff.get("started", time.time()))
        elapsed = max(0.0, time.time() - started)
        profile = _profile_there(spec.profile, Path(ctx.handoff.get("repo", ".")))
        # Stage 0 of the bootstrapper the transfer installed, for the project it sent.
        argv = ["--project", ".", "--profile", profile, "--report-out", f"{STAGE}/report.json"]
        stage0 = stage0_there([*argv, *spec.argv], bundle=target.bundle_remote)
        env = {"BOOTSTRAP_HANDOFF_ELAPSED": f"{elapsed:.3f}", "BOOTSTRAP_NO_METRICS": "1"}
        command = f"cd {target.dir_word} && {stage0}"
        prefix = f"  [{target.name}] "
        res = target.link.stream(
            command,
            timeout=float(ctx.handoff.get("timeout", 3600)),
            on_line=lambda line: ctx.view.output(prefix + clean_line(line)),
            env=env,
        )
        target.exit_code = res.returncode
        return f"exit {res.returncode} in {res.duration:.2f}s"


def _profile_there(profile: str, repo: Path) -> str:
    """The profile as the target names it: relative to the project's directory there (the
    plan says which, :func:`bootstrap.plan.carry.profile_there`); a path of this host
    inside the project is made relative, any other is the copy the transfer wrote."""
    path = Path(profile)
    if not path.is_absolute():
        return path.as_posix()
    with contextlib.suppress(ValueError):
        return path.resolve().relative_to(repo.resolve()).as_posix()
    return PROFILE_THERE


class CollectReportStep(EveryRun):
    def run(self, spec: specs.CollectReport, ctx: Context) -> str:
        target = _target(ctx)
        res = target.link.run(
            f"cat {target.dir_word}/{STAGE}/report.json", timeout=30, limit=REPLY_LIMIT
        )
        if target.link.dry_run is not None:
            return "dry run"
        if res.overflow:
            raise overflowed(target.name, "report")
        if not res.ok:
            target.report = None
            return "the target wrote no report"
        raw = parse_object(res.stdout, target=target.name, what="report")
        target.report = check_report(raw, target=target.name)
        outcome = raw.get("outcome") if raw.get("outcome") in ("success", "failure") else "?"
        return f"report of {target.report.get('target') or '?'} ({outcome})"
