"""``.env`` at the checkout's root: the one place for a machine's settings.

``make setup``, ``make run``, ``make dev`` and ``make dashboard`` start with
:func:`apply_dotenv`, and nothing else reads the file (the Makefile passes no
setting through a shell): the file's variables go into the environment under
those already set (the environment wins), as literal values, and relative
paths become absolute, so every process started after sees the same settings,
``DAGSTER_HOME`` included (``.dagster_home`` by default). ``GHARCHIVE_ENV_FILE``
names another file instead (e.g. ``GHARCHIVE_ENV_FILE=gcp.env make run``); a
named file that is missing or unreadable is an error, as is a ``.env`` that is
not a file.

Dagster's CLI reads a ``.env`` in its working directory too, but lets the file
win over the environment; so the dagster processes these commands start run in
``DAGSTER_HOME`` (:func:`dagster_working_directory`), which holds none.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from dotenv import dotenv_values

from gharchive_assets.core.settings import SettingsError

DOTENV = ".env"
DEFAULT_DAGSTER_HOME = ".dagster_home"
# Paths a user writes relative to the checkout; made absolute against it.
PATH_VARIABLES = ("GHARCHIVE_DATA_DIR", "GHARCHIVE_DBT_LOG_DIR", "DAGSTER_HOME")


class SettingsFileError(SettingsError):
    """The settings file cannot be read: which, and what to do."""


def settings_file(environ: Mapping[str, str] = os.environ) -> Path:
    """``GHARCHIVE_ENV_FILE``, else ``.env`` in the working directory (make's: the root)."""
    return Path(environ.get("GHARCHIVE_ENV_FILE") or DOTENV).expanduser().resolve()


def read_dotenv(path: Path, named: bool = False) -> dict[str, str]:
    """The variables the file sets, as written (no shell runs on them). No file
    is no settings, unless it was ``named`` (GHARCHIVE_ENV_FILE): then it is an
    error, as any file that exists but cannot be read."""
    if not path.exists() and not named:
        return {}
    if not path.is_file():
        what = "does not exist" if not path.exists() else "is not a file"
        source = "GHARCHIVE_ENV_FILE names" if named else "the settings file"
        raise SettingsFileError(
            f"{source} {path}, which {what}: give the path of a file of KEY=value lines"
            + ("" if named else f", or remove {path}")
        )
    try:
        values = dotenv_values(path, interpolate=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsFileError(f"the settings file {path} cannot be read: {error}") from error
    return {name: value for name, value in values.items() if value is not None}


def apply_dotenv(environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Put the settings file's variables into ``environ`` where it has none, and
    make relative paths (and the default data directory) absolute against the
    working directory. Returns the variables taken from the file."""
    named = bool(environ.get("GHARCHIVE_ENV_FILE"))
    taken = {
        name: value
        for name, value in read_dotenv(settings_file(environ), named).items()
        if not environ.get(name)
    }
    environ.update(taken)
    environ.setdefault("GHARCHIVE_DATA_DIR", "data")
    if not environ.get("DAGSTER_HOME"):
        environ["DAGSTER_HOME"] = DEFAULT_DAGSTER_HOME
    for name in PATH_VARIABLES:
        value = environ.get(name, "").strip()
        if value and not Path(value).expanduser().is_absolute():
            environ[name] = str(Path(value).resolve())
    return taken


def dagster_working_directory(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the dagster CLI runs: ``DAGSTER_HOME`` (created), so that it reads
    no ``.env`` of its own, which would override the environment."""
    home = Path(environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home
