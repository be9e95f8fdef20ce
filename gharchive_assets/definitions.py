"""The code location: each stage's definitions, built from one ``Settings``.

``dagster -m gharchive_assets.definitions``, ``dg`` and ``workspace.yaml`` load
``defs`` (settings from the environment); tests call :func:`build_definitions`
with their own :class:`Settings`. Every module of ``defs/`` is one stage and
gives its definitions for the settings it is handed.
"""

import dagster as dg

from gharchive_assets.core.console_log import concise_console
from gharchive_assets.core.settings import Settings, load_settings
from gharchive_assets.defs.analytics import analytics_defs, full_history_tests_defs
from gharchive_assets.defs.automation import automation_defs
from gharchive_assets.defs.backfill_cancel import backfill_cancel_defs
from gharchive_assets.defs.events import events_defs
from gharchive_assets.defs.github import github_defs
from gharchive_assets.defs.lake import lake_defs
from gharchive_assets.defs.models_follow import models_follow_defs
from gharchive_assets.defs.pool_steps import pool_steps_defs
from gharchive_assets.defs.report import report_defs
from gharchive_assets.defs.resources import target_resources

# In the order data flows: lake -> events -> GitHub's star history -> dbt models
# (and the sensor that builds them after their hours) -> report; then what keeps
# them up, what stops a cancelled backfill, and what unsticks a pool's queue.
STAGES = (
    lake_defs,
    events_defs,
    github_defs,
    analytics_defs,
    models_follow_defs,
    full_history_tests_defs,
    report_defs,
    automation_defs,
    backfill_cancel_defs,
    pool_steps_defs,
    target_resources,
)


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every stage of ``defs/``, built with ``settings``."""
    return dg.Definitions.merge(
        *(stage(settings) for stage in STAGES),
        # The hourly chain is linear: steps cannot overlap, so running them in
        # one process saves a process start (and definitions load) per step.
        # The console logger prints a line per message and no stack traces
        # (the event log keeps them for the UI).
        dg.Definitions(executor=dg.in_process_executor, loggers={"console": concise_console}),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())
