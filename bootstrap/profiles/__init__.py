"""Profiles: what a team's environment needs, as validated, frozen data.

A profile is a TOML file, ``<name>.toml``. :func:`load_profile` finds it (search order
below), merges the profiles it ``extends`` (tables deep-merged, arrays replaced),
checks every key against :data:`SCHEMA` and returns a :class:`Profile`. Every error is a
:class:`~bootstrap.errors.ConfigError` naming the file, the key path (``locks[1].extras``),
what was expected and what was found; unknown keys get a did-you-mean.

Search order for a name (the first hit wins):

1. an explicit path (anything ending in ``.toml`` or containing a path separator);
2. each directory in ``BOOTSTRAP_PROFILE_PATH`` (``os.pathsep``-separated);
3. the user config dir: ``<user_config_dir>/bootstrap/profiles`` (``$BOOTSTRAP_HOME/config/
   profiles`` when ``BOOTSTRAP_HOME`` is set);
4. the project's own profile, when its name matches: ``bootstrap.toml`` in the project
   directory, else the ``[tool.bootstrap]`` table of its ``pyproject.toml``;
5. the repository's ``profiles/`` directory (the shipped profiles).

With no name at all, a project's own profile is used (:func:`project_profile`); the
project's ``path`` defaults to the directory holding it.

The loader is the only part of profile handling that reads files: it resolves the
project path (relative to the profile file that set it), checks which lock files exist
and lists the per-target pylock files, so that the planner can stay pure.


The package is cut in three: :mod:`~bootstrap.profiles.model` (the frozen data),
:mod:`~bootstrap.profiles.schema` (every key, as data) and :mod:`~bootstrap.profiles.loader`
(finding, merging, building). The names below are what the rest of the tool uses.
"""

from bootstrap.profiles.loader import (
    check_project,
    check_pyproject,
    duplicate_names,
    find_profile,
    is_project_file,
    list_profiles,
    load_profile,
    profile_to_dict,
    search_dirs,
    user_profiles_dir,
)
from bootstrap.profiles.model import (
    ALL_PLATFORMS,
    REPO_PROFILES,
    STRATEGIES,
    LockSpec,
    Needs,
    Profile,
    Variant,
)

__all__ = [
    "ALL_PLATFORMS",
    "REPO_PROFILES",
    "STRATEGIES",
    "LockSpec",
    "Needs",
    "Profile",
    "Variant",
    "check_project",
    "check_pyproject",
    "duplicate_names",
    "find_profile",
    "is_project_file",
    "list_profiles",
    "load_profile",
    "profile_to_dict",
    "search_dirs",
    "user_profiles_dir",
]
