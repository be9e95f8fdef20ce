"""``.env`` at the checkout's root: the one place for a machine's settings.

``make run``, ``make dev`` and ``make dashboard`` start with :func:`apply_dotenv`:
the file's variables go into the environment under those already set (the
environment wins), and relative paths become absolute, so every process
started after sees the same settings. ``GHARCHIVE_ENV_FILE`` names another
file instead (e.g. ``GHARCHIVE_ENV_FILE=gcp.env make run``).

Dagster's CLI reads a ``.env`` in its working directory too, but lets the file
win over the environment; so the dagster processes these commands start run in
``DAGSTER_HOME`` (:func:`dagster_working_directory`), which holds none.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from dotenv import dotenv_values

DOTENV = ".env"
# Paths a user writes relative to the checkout; made absolute against it.
PATH_VARIABLES = ("GHARCHIVE_DATA_DIR", "GHARCHIVE_DBT_LOG_DIR", "DAGSTER_HOME")


def settings_file(environ: Mapping[str, str] = os.environ) -> Path:
    """``GHARCHIVE_ENV_FILE``, else ``.env`` in the working directory (make's: the root)."""
    return Path(environ.get("GHARCHIVE_ENV_FILE") or DOTENV).expanduser().resolve()


def read_dotenv(path: Path) -> dict[str, str]:
    """The variables the file sets (none when there is no file)."""
    if not path.is_file():
        return {}
    return {name: value for name, value in dotenv_values(path).items() if value is not None}


def apply_dotenv(environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Put the settings file's variables into ``environ`` where it has none, and
    make relative paths (and the default data directory) absolute against the
    working directory. Returns the variables taken from the file."""
    taken = {
        name: value
        for name, value in read_dotenv(settings_file(environ)).items()
        if not environ.get(name)
    }
    environ.update(taken)
    environ.setdefault("GHARCHIVE_DATA_DIR", "data")
    for name in PATH_VARIABLES:
        value = environ.get(name, "").strip()
        if value and not Path(value).expanduser().is_absolute():
            environ[name] = str(Path(value).resolve())
    return taken


def dagster_working_directory(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the dagster CLI runs: ``DAGSTER_HOME`` (created), so that it reads
    no ``.env`` of its own, which would override the environment."""
    home = Path(environ.get("DAGSTER_HOME") or ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home
