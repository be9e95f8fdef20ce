"""One run of the hourly chain without dbt (download, clean, swap into the
warehouse) over FIRST..LAST, on the instance in DAGSTER_HOME and the target the
environment chooses: what several processes start together in the tests.

python -m tests.run_hours FIRST LAST
"""

from __future__ import annotations

import sys

import dagster as dg

from gharchive_assets.core.settings import load_settings
from gharchive_assets.defs.events import CLEAN_EVENTS_HOUR, EVENTS_ASSET_KEY
from tests.pipeline import materialize_hours

HOURLY_CHAIN = [dg.AssetKey("raw_archive_hour"), CLEAN_EVENTS_HOUR, EVENTS_ASSET_KEY]

if __name__ == "__main__":
    first, last = sys.argv[1:3]
    with dg.DagsterInstance.get() as instance:
        result = materialize_hours(load_settings(), instance, first, last, selection=HOURLY_CHAIN)
    sys.exit(0 if result.success else 1)
