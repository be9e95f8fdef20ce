"""The chosen target's resources (``GHARCHIVE_TARGET``), for every asset of the folder."""

import dagster as dg

from gharchive_assets.resources.targets import resources_for
from gharchive_assets.settings import current_settings


@dg.definitions
def target_resources() -> dg.Definitions:
    return dg.Definitions(resources=resources_for(current_settings()))
