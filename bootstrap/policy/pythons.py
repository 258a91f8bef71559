"""The CPython minor versions a lock is written for: uv.lock's requires-python and the
profile's [project] python narrow them (used by the target locks and the tools lock)."""

from __future__ import annotations

# The CPython minor versions a target may run; the profile and uv.lock narrow them.
PYTHON_MINORS = tuple(range(8, 16))


def python_minors(requires: str | None, profile_python: str | None) -> tuple[int, ...]:
    """The CPython 3.X minors both uv.lock's requires-python and the profile allow."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    specs = []
    for text in (requires, profile_python):
        if text:
            try:
                specs.append(SpecifierSet(text))
            except InvalidSpecifier:
                continue
    out = []
    for minor in PYTHON_MINORS:
        versions = [f"3.{minor}.{patch}" for patch in range(30)]
        if all(any(s.contains(v, prereleases=True) for v in versions) for s in specs):
            out.append(minor)
    return tuple(out)
