"""What the hourly assets do to one hour, as plain objects tested without Dagster.

- ``HourFetcher``: the hour's archive file from its sources into the lake's raw/;
- ``HourCleaner``: the raw file (or files) into the lake's clean parquet;
- ``HourLoader``: the clean file into the warehouse's ``events``, with its checks.

Each takes an ``ArchiveHour`` and returns plain figures; the assets in
``defs/`` turn keys into hours and figures into Dagster metadata.
"""

from gharchive_assets.hours.cleaner import HourCleaner
from gharchive_assets.hours.fetcher import FetchOptions, HourFetcher, LoadedHourKept
from gharchive_assets.hours.loader import HourLoader

__all__ = ["FetchOptions", "HourCleaner", "HourFetcher", "HourLoader", "LoadedHourKept"]
