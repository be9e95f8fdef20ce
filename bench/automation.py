"""What the catch-up sensor and partition status cost at the archive's scale.

On a real (SQLite) Dagster instance in a temporary DAGSTER_HOME:
- one tick of ``archive_hours_sensor``'s planning over a 30-day look-back with
  700 of its 720 hours materialised (the other 20 are asked about over HTTP, on
  a loopback server that answers 404), then a second tick with the cursor;
- listing status over the full partition range from 2015-01-01 (~100,000
  hours): every key, the materialised ones, and the hours missing.

    python bench/automation.py
"""

import http.server
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

import dagster as dg

from gharchive_assets.contract.archive_hour import key_for
from gharchive_assets.core.partitions import hourly_partitions
from gharchive_assets.defs.automation import DONE_WHEN_MATERIALISED, plan_catch_up
from gharchive_assets.source.resource import ArchiveSourceResource


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def timed(label: str, action):
    started = time.perf_counter()
    value = action()
    print(f"{label:62} {time.perf_counter() - started:8.3f} s")
    return value


def main() -> None:
    now = datetime.now(UTC)
    partitions = hourly_partitions("2015-01-01-00:00")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    source = ArchiveSourceResource(base_url=f"http://127.0.0.1:{server.server_address[1]}")
    last = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    window = [key_for(last - timedelta(hours=h)) for h in range(720)]
    with tempfile.TemporaryDirectory() as home:
        instance = dg.DagsterInstance.local_temp(home)

        def materialise():
            for key in window[20:]:
                for asset_key in DONE_WHEN_MATERIALISED:
                    instance.report_runless_asset_event(
                        dg.AssetMaterialization(asset_key=asset_key, partition=key)
                    )

        timed("recording 700 hours x 3 assets as materialised", materialise)
        first = timed(
            "sensor tick, 30-day look-back, 700 of 720 hours done",
            lambda: plan_catch_up(now, instance, source, partitions, {}, lookback_hours=720),
        )
        timed(
            "second tick with the cursor (nothing changed)",
            lambda: plan_catch_up(
                now, instance, source, partitions, first.cursor, lookback_hours=720
            ),
        )
        keys = timed(
            "all partition keys from 2015-01-01",
            lambda: partitions.get_partition_keys(current_time=now),
        )
        done = timed(
            "materialised partitions of gharchive/events",
            lambda: instance.get_materialized_partitions(DONE_WHEN_MATERIALISED[1]),
        )
        missing = timed("hours not materialised (set difference)", lambda: set(keys) - done)
        print(
            f"\n{len(keys):,} hourly partitions; {len(done):,} materialised; {len(missing):,} missing"
        )
    server.shutdown()


if __name__ == "__main__":
    main()
