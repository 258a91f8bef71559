"""Move the pin: fetch the published checksums of a uv release and write them everywhere.

Only published checksums are pinned: the wheels' SHA-256 from the package index's JSON
API (or its PEP 691 simple page), the release archives' from the release's own
``.sha256`` files when that host is reachable. Nothing is hashed locally and presented
as the pin; an archive whose checksum cannot be fetched is left out, and stage 0 then
skips that source with a clear message.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bootstrap import platforms
from bootstrap.errors import NetworkError, UserError
from bootstrap.paths import atomic_write
from bootstrap.uv import fetch
from bootstrap.uv import pin as pinmod
from bootstrap.uv.pin import TRIPLES, Artifact, Pin

DEFAULT_JSON_API = "https://pypi.org/pypi"


def _rule(triple: str) -> tuple[tuple[str, ...], str]:
    """(tag prefixes that may match, arch suffix) of the uv wheel for ``triple``, from the
    platform table: on Linux the glibc triple takes manylinux tags, the musl one musllinux."""
    found = platforms.from_triple(triple)
    if found is None:
        raise UserError(f"uv triple {triple!r} is not in the platform table", code="uv.triple")
    info = found.info
    prefixes = info.wheel_prefixes
    if info.uv.musl_triple:
        prefixes = ("musllinux",) if triple == info.uv.musl_triple else ("manylinux",)
    return prefixes, info.wheel_suffixes[0]


def wheel_for(triple: str, filenames: list[str]) -> str | None:
    """The uv wheel for ``triple`` among ``filenames``. Among the wheels that match, the
    one with the fewest platform tags is the most specific build (e.g. the glibc-only
    aarch64 wheel over the combined manylinux+musllinux one)."""
    prefixes, suffix = _rule(triple)
    best: tuple[int, str] | None = None
    for name in filenames:
        dist = platforms.dist_file(name)
        if dist is None or not dist.is_wheel:
            continue
        tags = dist.platform_tags
        if any(t.startswith(prefixes) and t.endswith(suffix) for t in tags):
            cand = (len(tags), name)
            if best is None or cand < best:
                best = cand
    return best[1] if best else None


@dataclass(frozen=True)
class Published:
    pin: Pin
    notes: tuple[str, ...]  # what was left out, and why


def _json(url: str, work: Path, environ: Mapping[str, str] | None, accept: str) -> object:
    out = work / "reply.json"
    fetch.download(url, out, accept=accept, environ=environ)
    try:
        return json.loads(out.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise NetworkError(f"{url} did not answer JSON: {exc}", code="uv.bad_json") from exc


def wheel_digests(
    version: str,
    *,
    json_api: str = DEFAULT_JSON_API,
    index: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """{wheel file name: sha256} as published for uv ``version``."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        errors: list[str] = []
        for url in (f"{json_api.rstrip('/')}/uv/{version}/json", f"{json_api.rstrip('/')}/uv/json"):
            try:
                data = _json(url, work, environ, "application/json")
            except NetworkError as exc:
                errors.append(exc.message)
                continue
            if not isinstance(data, dict):
                continue
            files = data.get("urls") if url.endswith(f"/{version}/json") else None
            if files is None:
                files = (data.get("releases") or {}).get(version)
            if files:
                return {
                    f["filename"]: f["digests"]["sha256"]
                    for f in files
                    if isinstance(f, dict) and f.get("filename", "").endswith(".whl")
                }
        if index:
            try:
                data = _json(
                    index.rstrip("/") + "/uv/", work, environ, "application/vnd.pypi.simple.v1+json"
                )
                files = data.get("files", []) if isinstance(data, dict) else []
                found = {
                    f["filename"]: f["hashes"]["sha256"]
                    for f in files
                    if isinstance(f, dict)
                    and re.match(rf"^uv-{re.escape(version)}-.*\.whl$", f.get("filename", ""))
                    and "sha256" in f.get("hashes", {})
                }
                if found:
                    return found
            except NetworkError as exc:
                errors.append(exc.message)
    raise UserError(
        f"no published uv {version} wheels found: " + "; ".join(errors or ["no files listed"]),
        fix="check the version exists on PyPI (pip index versions uv) and that the index is "
        "reachable",
        code="uv.pin_not_found",
    )


def archive_digests(
    version: str, release: str, environ: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """{triple: sha256} from the release's ``uv-<triple>.tar.gz.sha256`` files."""
    out: dict[str, str] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for triple in TRIPLES:
            ext = "zip" if "windows" in triple else "tar.gz"
            url = f"{release.rstrip('/')}/{version}/uv-{triple}.{ext}.sha256"
            dest = Path(tmp) / "sum"
            try:
                fetch.download(url, dest, environ=environ)
            except NetworkError as exc:
                if exc.code in ("uv.source_unreachable", "uv.source_timeout"):
                    notes.append(
                        f"release archives left out: {release} is unreachable ({exc.message})"
                    )
                    return {}, notes
                notes.append(f"uv-{triple}.{ext} left out: {exc.message}")
                continue
            word = dest.read_text(encoding="utf-8", errors="replace").split()[:1]
            if word and re.fullmatch(r"[0-9a-fA-F]{64}", word[0]):
                out[triple] = word[0].lower()
            else:
                notes.append(f"uv-{triple}.{ext} left out: {url} is not a sha256 file")
    return out, notes


def published(
    version: str,
    *,
    json_api: str = DEFAULT_JSON_API,
    index: str | None = None,
    release: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Published:
    digests = wheel_digests(version, json_api=json_api, index=index, environ=environ)
    names = sorted(digests)
    arts: list[Artifact] = []
    notes: list[str] = []
    for triple in TRIPLES:
        name = wheel_for(triple, names)
        if name is None:
            notes.append(f"no uv {version} wheel for {triple}")
            continue
        arts.append(Artifact("wheel", triple, name, digests[name].lower()))
    if release:
        sums, more = archive_digests(version, release, environ)
        notes += more
        for triple, sha in sums.items():
            ext = "zip" if "windows" in triple else "tar.gz"
            arts.append(Artifact("archive", triple, f"uv-{triple}.{ext}", sha))
    return Published(Pin(version, tuple(arts)), tuple(notes))


def write_everywhere(repo: Path, new: Pin, *, keep_self: Pin | None = None) -> list[Path]:
    """Write the pin file, the installers' embedded copies and pyproject's
    ``required-version``. Returns the files changed."""
    if keep_self is not None:
        new = Pin(new.version, new.artifacts, keep_self.self_artifacts)
    text = pinmod.HEADER + pinmod.render(new)
    changed: list[Path] = []
    pin_file = repo / "bootstrap" / "uv" / "pin.txt"
    if not pin_file.exists() or pin_file.read_text(encoding="utf-8") != text:
        atomic_write(pin_file, text.encode())
        changed.append(pin_file)
    changed += sync_installers(repo)
    pyproject = repo / "pyproject.toml"
    if pyproject.exists():
        old = pyproject.read_text(encoding="utf-8")
        fresh, count = re.subn(
            r'^(required-version\s*=\s*")[^"]*(")',
            rf"\g<1>=={new.version}\g<2>",
            old,
            count=1,
            flags=re.MULTILINE,
        )
        if count == 0:
            raise UserError(
                f"{pyproject}: no `required-version` under [tool.uv] to keep in step",
                fix=f'add `required-version = "=={new.version}"` under [tool.uv]',
                code="uv.pyproject",
            )
        if fresh != old:
            atomic_write(pyproject, fresh.encode())
            changed.append(pyproject)
    return changed


def sync_installers(repo: Path) -> list[Path]:
    """Regenerate install.sh's and install.ps1's embedded pins from the pin file."""
    pin_text = (repo / "bootstrap" / "uv" / "pin.txt").read_text(encoding="utf-8")
    pinmod.parse(pin_text, "bootstrap/uv/pin.txt")
    changed: list[Path] = []
    for name, ps in (("install.sh", False), ("install.ps1", True)):
        path = repo / name
        if not path.exists():
            continue
        raw = path.read_bytes().decode("utf-8")
        old = raw.replace("\r\n", "\n")
        fresh = pinmod.embed(old, pin_text, powershell=ps, origin=name)
        if "\r\n" in raw:  # install.ps1 is CRLF on a checkout (.gitattributes): keep it
            fresh = fresh.replace("\n", "\r\n")
        if fresh != raw:
            atomic_write(path, fresh.encode())
            if not ps:
                path.chmod(0o755)
            changed.append(path)
    return changed
