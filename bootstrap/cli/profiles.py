"""`bootstrap profiles`: list, show and validate profiles."""

from __future__ import annotations

from pathlib import Path

import click


@click.group(
    epilog="""\b
Examples:
  bootstrap profiles list
  bootstrap profiles show ai-training --json
  bootstrap profiles validate                       every profile the search finds
  bootstrap profiles validate team.toml other.toml
"""
)
def profiles() -> None:
    """List, show and validate profiles (TOML files; see docs/profiles.md)."""


@profiles.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def list_cmd(as_json: bool) -> None:
    """Every profile name the search finds, and the file that wins for it."""
    from bootstrap.console import line, print_json
    from bootstrap.errors import ConfigError
    from bootstrap.profiles import duplicate_names, list_profiles, load_profile, search_dirs

    rows = []
    for name, path in list_profiles():
        try:
            description = load_profile(str(path)).description
        except ConfigError as exc:
            description = f"(invalid: {exc.message})"
        rows.append({"name": name, "path": str(path), "description": description})
    if as_json:
        print_json({"profiles": rows, "search": [str(d) for d in search_dirs()]})
        return
    width = max((len(r["name"]) for r in rows), default=0)
    for r in rows:
        line(f"{r['name']:<{width}}  {r['description']}")
        line(f"{'':<{width}}  {r['path']}")
    dirs = [str(d) for d in search_dirs()]
    dirs.insert(-1, "the project's bootstrap.toml or [tool.bootstrap]")
    line("search order: explicit path, then " + ", ".join(dirs))
    for name, files in duplicate_names().items():
        line(f"warning: profile name {name!r} is defined by " + ", ".join(map(str, files)))


@profiles.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the resolved profile as JSON.")
def show(name: str, as_json: bool) -> None:
    """The resolved profile: extends merged, paths resolved, defaults filled in."""
    from bootstrap.console import line, print_json
    from bootstrap.profiles import load_profile, profile_to_dict

    data = profile_to_dict(load_profile(name))
    if as_json:
        print_json(data)
        return
    for key, value in _flatten(data):
        line(f"{key} = {value}")


def _flatten(data: object, prefix: str = "") -> list[tuple[str, str]]:
    import json

    if isinstance(data, dict) and data:
        out = []
        for k, v in data.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(data, list) and data and all(isinstance(v, dict) for v in data):
        out = []
        for i, v in enumerate(data):
            out += _flatten(v, f"{prefix}[{i}]")
        return out
    return [(prefix, json.dumps(data))]


@profiles.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--project",
    metavar="DIR",
    help="Validate the profile this project keeps (bootstrap.toml or [tool.bootstrap]).",
)
def validate(paths: tuple[Path, ...], project: str | None) -> int:
    """Check profiles (files, or every profile found): the schema, that the project and
    its lock exist, and names defined twice. Exit 2 if any is invalid."""
    from bootstrap.console import error, line
    from bootstrap.errors import EXIT_USAGE, ConfigError
    from bootstrap.profiles import check_project, duplicate_names, list_profiles, load_profile

    targets: list[str | None] = [str(p) for p in paths]
    if project is not None and not targets:
        targets = [None]
    elif not targets:
        targets = [str(p) for _, p in list_profiles()]
        for name, files in duplicate_names().items():
            line(
                f"warning: profile name {name!r} is defined by {len(files)} files; "
                f"{files[0]} wins over " + ", ".join(str(f) for f in files[1:])
            )
    bad = 0
    for target in targets:
        try:
            loaded = load_profile(target, project=project)
            problems = check_project(loaded)
        except ConfigError as exc:
            problems = [exc]
        if problems:
            bad += 1
            for problem in problems:
                error(problem.message, problem.fix)
            continue
        line(f"ok  {loaded.name}  ({loaded.source})")
    if bad:
        line(f"{bad} of {len(targets)} profile(s) invalid")
        return EXIT_USAGE
    return 0
