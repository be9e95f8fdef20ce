"""``python -m gharchive_assets.clean SRC DEST_DIR --partition KEY``.

Cleans one archive hour file into the lake layout under DEST_DIR and prints a
one-line JSON summary; exit status 1 with the reason when the hour fails.
"""

from __future__ import annotations

import argparse
import importlib.abc
import json
import sys
from pathlib import Path

from gharchive_assets.clean.cleaner import HourFailed, clean_hour_into_lake
from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.lake.directory import DirectoryLake


class _RefusePandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("pandas is not used by the cleaner's command line")
        return None


def main(argv: list[str] | None = None) -> int:
    # pyarrow imports pandas on first use when it is installed (a second per
    # process); this command never needs it.
    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _RefusePandas())
    parser = argparse.ArgumentParser(
        prog="python -m gharchive_assets.clean",
        description="Clean one GH Archive hour file into the lake layout under DEST_DIR.",
    )
    parser.add_argument("src", type=Path, help="the archive hour file (.json.gz)")
    parser.add_argument(
        "dest_dir", type=Path, help="lake root to write clean/ and quarantine/ under"
    )
    parser.add_argument("--partition", required=True, help="partition key, e.g. 2015-01-01-01:00")
    parser.add_argument("--max-quarantine-fraction", type=float, default=0.01)
    args = parser.parse_args(argv)
    lake = DirectoryLake(args.dest_dir)
    try:
        hour = ArchiveHour.of(args.partition)
        result = clean_hour_into_lake(lake, hour, args.src, args.max_quarantine_fraction)
    except (HourFailed, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result.summary()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
