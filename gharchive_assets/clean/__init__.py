"""The cleaning engine: an archive hour file → clean parquet and quarantine.

Plain Python, no Dagster: the ``clean_events_hour`` asset calls it, and so does
its command line (``__main__``)::

    python -m gharchive_assets.clean SRC DEST_DIR --partition 2015-01-01-01:00

The common line is read by an optional C scanner (``_linescan.c``, built by
``make setup``); without it every line takes the general Python path, which
gives the same rows, slower (``block_parser``).
"""

from gharchive_assets.clean.cleaner import (
    CleanResult,
    HourFailed,
    clean_archive_file,
    clean_hour_into_lake,
)

__all__ = ["CleanResult", "HourFailed", "clean_archive_file", "clean_hour_into_lake"]
