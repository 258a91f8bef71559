"""What a handoff carries, made on this host: the project's files (nothing secret), the
bootstrapper as an artifact (its wheel, built with the pinned uv and kept by the content
of the source it was built from), and the profile as the target reads it. Where these go
there is :mod:`bootstrap.plan.carry`'s.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap.errors import UserError
from bootstrap.files import sha256_file
from bootstrap.plan.carry import (
    CARRY_DIR,
    PROFILE_PROJECT_PATH,
    PROFILE_THERE,
    SELF_DIR,
    SELF_IN,
    WHEEL_NAME_FILE,
    WHEEL_SHA_FILE,
)

if TYPE_CHECKING:
    from bootstrap.paths import Paths

# The bootstrapper's own checkout: where its wheel is built from, on this host.
TOOL_REPO = Path(__file__).resolve().parents[2]
# What goes with the wheel: stage 0, and the lock of the bootstrapper's runtime (with
# its pyproject.toml, which `uv export` reads): the lock vouches for the runtime wheels a
# cache bundle carries, there as here.
SELF_EXTRAS = ("install.sh", "pyproject.toml", "uv.lock")
IGNORE_ALL = "# written by bootstrap for its handoffs: nothing here belongs in git\n*\n"

# Never sent, even when git tracks them: environment files and credentials. The project's
# code reads them from its own machine; a handoff gives the target no secret of this one.
SECRET_NAMES = frozenset(
    {".env", ".netrc", ".pypirc", ".npmrc", ".git-credentials", ".envrc"}
    | {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "credentials.json"}
)
SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".keystore", ".jks")
ENV_TEMPLATES = frozenset({"example", "sample", "template", "dist", "defaults"})
# Not a git repository: every file is sent but these (caches, environments, VCS, ours).
NOT_SENT_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "__pycache__", ".pytest_cache", ".mypy_cache"}
    | {".ruff_cache", ".tox", ".nox", "node_modules", CARRY_DIR, ".bootstrap-bundle"}
)


def is_secret(name: str) -> bool:
    """A file name that holds secrets by convention (``.env``, ``.env.local``, a private
    key); ``.env.example`` and friends are templates, sent."""
    base = name.rsplit("/", 1)[-1]
    if base in SECRET_NAMES or base.endswith(SECRET_SUFFIXES):
        return True
    if base.startswith(".env."):
        return base.split(".", 2)[2].lower() not in ENV_TEMPLATES
    return False


def project_files(project: Path) -> tuple[list[str], str]:
    """(the files a handoff sends, relative to ``project``, how they were chosen).

    A git repository (or a folder of one): the files git tracks and the untracked ones it
    does not ignore, as they are in the work tree (so a new file not yet added goes too,
    and nothing in .gitignore does). Not a git repository: every file but caches,
    environments and version-control folders. Either way, no secrets (:func:`is_secret`)
    and nothing of ours (``.bootstrap/``)."""
    from bootstrap import proc

    res = proc.run(
        ["git", "-C", str(project), "ls-files", "-z", "--cached", "--others",
         "--exclude-standard"],
        timeout=60,
    )  # fmt: skip
    if res.ok:
        names = {n for n in res.stdout.split("\0") if n}
        how = "git's tracked and untracked-not-ignored files"
    else:
        names = set()
        for path in project.rglob("*"):
            rel = path.relative_to(project)
            if not set(rel.parts) & NOT_SENT_DIRS:
                names.add(rel.as_posix())
        how = "not a git repository: every file but caches and environments"
    out = [
        n
        for n in names
        if n.split("/", 1)[0] not in (CARRY_DIR, ".bootstrap-bundle")
        and not is_secret(n)
        and (project / n).is_file()
        and not (project / n).is_symlink()
    ]
    return sorted(out), how


# -- the bootstrapper's artifact ---------------------------------------------------------


@dataclass(frozen=True)
class SelfArtifact:
    """The bootstrapper's wheel and what goes with it, in one folder of this host's
    cache, each file's SHA-256 computed here (what the target checks them against)."""

    folder: Path
    wheel: str
    sums: dict[str, str]

    @property
    def wheel_sha256(self) -> str:
        return self.sums[self.wheel]

    def sums_text(self) -> str:
        return "".join(f"{sha}  {name}\n" for name, sha in sorted(self.sums.items()))


def source_digest(repo: Path = TOOL_REPO) -> str:
    """The digest of what the wheel is built from: the package's files and the extras.
    Read on every handoff (a few hundred small files: milliseconds)."""
    h = hashlib.sha256()
    package = repo / "bootstrap"
    files = sorted(
        p
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
    )
    for path in [*files, *(repo / n for n in SELF_EXTRAS)]:
        h.update(path.relative_to(repo).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def self_artifact(paths: Paths, *, repo: Path = TOOL_REPO) -> SelfArtifact:
    """The running bootstrapper's wheel, built with the pinned uv (``uv build --wheel``)
    the first time its source is seen and kept in the cache by the source's digest."""
    folder = paths.cache / "self" / source_digest(repo)[:24]
    sums_file = folder / "SHA256SUMS.json"
    if sums_file.is_file():
        with_sums = _read_sums(sums_file)
        if with_sums is not None:
            return SelfArtifact(folder, *with_sums)
    stage = folder.with_name(folder.name + f".{os.getpid()}.partial")
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    try:
        wheel = _build_wheel(paths, repo, stage)
        for name in SELF_EXTRAS:
            shutil.copyfile(repo / name, stage / name)
        (stage / ".gitignore").write_text(IGNORE_ALL)
        sums = {name: sha256_file(stage / name) for name in (wheel, *SELF_EXTRAS)}
        (stage / "SHA256SUMS.json").write_text(json.dumps({"wheel": wheel, "sums": sums}))
        shutil.rmtree(folder, ignore_errors=True)
        stage.replace(folder)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return SelfArtifact(folder, wheel, sums)


def _read_sums(path: Path) -> tuple[str, dict[str, str]] | None:
    try:
        data: Any = json.loads(path.read_text())
        wheel, sums = str(data["wheel"]), {str(k): str(v) for k, v in data["sums"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if wheel not in sums or not all((path.parent / n).is_file() for n in sums):
        return None
    return wheel, sums


def _build_wheel(paths: Paths, repo: Path, out: Path) -> str:
    """``uv build --wheel`` with the pinned uv: from uv's cache first (no network), then
    from the index (the build backend, hatchling); a host that has neither (offline, a
    fresh cache) gets the same pure-Python wheel written here (:func:`write_wheel`)."""
    from bootstrap import proc, tls
    from bootstrap.uv.install import ensure

    uv = ensure(paths).path
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    argv = [str(uv), "build", "--wheel", "--quiet", "--out-dir", str(out), str(repo)]
    res = proc.run([*argv, "--offline"], timeout=600, env=env)
    if not res.ok:
        # One try, no retries: when no index answers, the wheel is written here instead.
        env.setdefault("UV_HTTP_RETRIES", "0")
        res = proc.run(argv, timeout=600, env=env)
        if not res.ok and tls.classify(res.stderr) and not tls.enabled(env):
            tls.enable(env)  # the index is behind a CA only the system store holds
            res = proc.run(argv, timeout=600, env=env)
    wheels = sorted(out.glob("*.whl"))
    if res.ok and len(wheels) == 1:
        return wheels[0].name
    for wheel in wheels:
        wheel.unlink()
    return write_wheel(repo, out)


def write_wheel(repo: Path, out: Path) -> str:
    """The bootstrapper's wheel as its build backend makes it (``packages = ["bootstrap"]``,
    pure Python): the package's files, and the metadata, entry points and RECORD from
    ``pyproject.toml``. Reproducible (fixed timestamps, sorted members)."""
    import base64
    import sys
    import zipfile

    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    project = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name, version = str(project["name"]), str(project["version"])
    dist = f"{name.replace('-', '_')}-{version}"
    files: dict[str, bytes] = {}
    for path in sorted((repo / "bootstrap").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files[path.relative_to(repo).as_posix()] = path.read_bytes()
    meta = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {project.get('description', '')}",
        f"Requires-Python: {project.get('requires-python', '>=3.9')}",
        *(f"Requires-Dist: {d}" for d in project.get("dependencies", [])),
    ]
    files[f"{dist}.dist-info/METADATA"] = ("\n".join(meta) + "\n").encode()
    files[f"{dist}.dist-info/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: bootstrap\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    scripts = project.get("scripts", {})
    if scripts:
        lines = ["[console_scripts]", *(f"{k} = {v}" for k, v in scripts.items())]
        files[f"{dist}.dist-info/entry_points.txt"] = ("\n".join(lines) + "\n").encode()
    record = f"{dist}.dist-info/RECORD"
    rows = []
    for member, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{member},sha256={digest},{len(data)}")
    files[record] = ("\n".join([*rows, f"{record},,"]) + "\n").encode()
    wheel = f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(out / wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in files.items():
            info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return wheel


# -- the profile there --------------------------------------------------------------------


def profile_text(source: Path) -> str:
    """The profile ``source`` as the target reads it: its ``extends`` chain merged (the
    profiles it extends are this host's), its ``[project] path`` rewritten to the project's
    directory there (relative to ``.bootstrap/profile.toml``), without ``[metrics]``, as
    TOML."""
    import sys

    from bootstrap.profiles.loader import _load_chain as load_chain

    data, _files = load_chain(source.resolve())
    data.pop("extends", None)
    # The sinks (their URLs, headers, the host-id salt) stay on this host: the target
    # runs with metrics off and this host records and sends its report.
    data.pop("metrics", None)
    data.setdefault("name", source.stem)  # the name it has here, not "profile"
    project = dict(data.get("project") or {})
    project["path"] = PROFILE_PROJECT_PATH
    data["project"] = project
    text = "# The profile this project was set up with, written by `bootstrap up` (merged).\n"
    text += "".join(f"{_key(k)} = {_value(v)}\n" for k, v in data.items())
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    if tomllib.loads(text) != data:  # pragma: no cover - a value TOML cannot hold
        raise UserError(
            f"{source}: the profile cannot be written for the target as TOML",
            code="handoff.profile",
        )
    return text


def _key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    """A TOML inline value (TOML's basic strings take JSON's escapes; DEL is escaped)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise UserError(f"a profile value of type {type(value).__name__}", code="handoff.profile")


# -- what goes into .bootstrap/ there ---------------------------------------------------


def stage_payload(folder: Path, art: SelfArtifact, profile: str) -> list[str]:
    """Lay out in ``folder`` (empty, this host's) what the transfer puts into the project's
    directory there, hard-linked from the cache where it can: ``.bootstrap/.gitignore``,
    the artifact in ``.bootstrap/in/``, the profile as ``.bootstrap/profile.toml`` when the
    project does not carry it. Returns the files, relative to ``folder``."""
    names: list[str] = []

    def link(src: Path, rel: str) -> None:
        dest = folder / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dest)  # same mtime as the cached file: rsync sees it unchanged
        except OSError:
            shutil.copy2(src, dest)
        names.append(rel)

    link(art.folder / ".gitignore", f"{CARRY_DIR}/.gitignore")
    for name in sorted(art.sums):
        link(art.folder / name, f"{SELF_IN}/{name}")
    if profile:
        source = Path(profile)
        dest = folder / PROFILE_THERE
        dest.write_text(profile_text(source), encoding="utf-8")
        stamp = source.stat().st_mtime  # unchanged profile, unchanged file: not sent again
        os.utime(dest, (stamp, stamp))
        names.append(PROFILE_THERE)
    return names


def install_self_script(dir_word: str, art: SelfArtifact) -> str:
    """The shell that installs the bootstrapper there from ``.bootstrap/in``: every file
    checked against the SHA-256 this host computed (read from stdin: give it
    :meth:`SelfArtifact.sums_text`), the wheel unpacked into ``.bootstrap/self`` (python3's
    zipfile, else unzip, else busybox unzip), install.sh and the lock beside it. Nothing
    is done when ``.bootstrap/self`` already holds this wheel. Exit 3: a file did not
    match."""
    import shlex

    wheel = shlex.quote(art.wheel)
    sha = art.wheel_sha256
    extras = " ".join(shlex.quote(n) for n in SELF_EXTRAS)
    return f"""set -e
cd {dir_word}
s={SELF_DIR}; i={SELF_IN}
if [ -f "$s/{WHEEL_SHA_FILE}" ] && [ "$(cat "$s/{WHEEL_SHA_FILE}")" = {sha} ]; then
  echo present; exit 0
fi
( cd "$i" && sha256sum -c - >/dev/null 2>&1 ) || exit 3
rm -rf "$s.partial" && mkdir -p "$s.partial"
if command -v python3 >/dev/null 2>&1; then python3 -m zipfile -e "$i/"{wheel} "$s.partial"
elif command -v unzip >/dev/null 2>&1; then unzip -q "$i/"{wheel} -d "$s.partial"
else busybox unzip -q "$i/"{wheel} -d "$s.partial"; fi
for f in {extras}; do cp "$i/$f" "$s.partial/$f"; done
printf '%s\\n' {wheel} > "$s.partial/{WHEEL_NAME_FILE}"
printf '%s\\n' {sha} > "$s.partial/{WHEEL_SHA_FILE}"
rm -rf "$s" && mv "$s.partial" "$s"
echo installed
"""
