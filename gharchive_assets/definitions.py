"""The code location: the defs folder, plus what applies to everything.

``dagster -m gharchive_assets.definitions``, ``dg`` and ``workspace.yaml`` load
``defs``; tests call :func:`build_definitions` with their own :class:`Settings`.
"""

from pathlib import Path

import dagster as dg

from gharchive_assets.console_log import concise_console
from gharchive_assets.settings import Settings, load_settings, settings_in_use


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every module of ``gharchive_assets/defs``, built with ``settings``."""
    with settings_in_use(settings):
        folder = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    return dg.Definitions.merge(
        folder,
        # The hourly chain is linear: steps cannot overlap, so running them in
        # one process saves a process start (and definitions load) per step.
        # The console logger prints a line per message and no stack traces
        # (the event log keeps them for the UI).
        dg.Definitions(executor=dg.in_process_executor, loggers={"console": concise_console}),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())
