"""The chosen target's resources (``GHARCHIVE_TARGET``), for every stage."""

import dagster as dg

from gharchive_assets.core.settings import Settings
from gharchive_assets.resources.targets import resources_for


def target_resources(settings: Settings) -> dg.Definitions:
    return dg.Definitions(resources=resources_for(settings))
