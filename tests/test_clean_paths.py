"""The cleaner with and without its C scanner: the same rows from the same inputs.

The scanner (``_linescan.c``) is optional. Without it (not built, or built for
other columns) ``block_parser.SCANNER`` is None and every line takes the
general path; these tests clean the same files both ways and compare.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest

from gharchive_assets.clean import block_parser, clean_hour_into_lake
from gharchive_assets.clean.block_parser import MAX_STRING_BYTES, chunk_bounds, payload_array
from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.lake.directory import DirectoryLake
from tests.synthetic import ArchiveFaker, bad_lines, write_hour

HOUR = datetime(2015, 1, 1, 5, tzinfo=UTC)
KEY = "2015-01-01-05:00"
CLEAN = "clean/events/date=2015-01-01/hour=05/events.parquet"
QUARANTINE = "quarantine/2015/01/01/2015-01-01-5.jsonl"

pytestmark = pytest.mark.skipif(
    block_parser.SCANNER is None, reason="the C scanner is not built here: nothing to compare"
)


def hour_file(tmp_path, kind: str):
    faker = ArchiveFaker(seed=11, rich=kind == "rich")
    if kind == "timeline":
        # Timeline-shaped records of the hour cleaned (their created_at within its window).
        records = faker.hour(HOUR, 600, era="timeline")
    else:
        records = faker.hour(HOUR, 1500, era=kind if kind == "trimmed" else "events", late=20)
    extra = list(bad_lines(records[0]).values()) if kind == "bad_lines" else []
    return write_hour(tmp_path, HOUR, records, extra_lines=extra)


def clean_into(root, raw_file):
    lake = DirectoryLake(root)
    result = clean_hour_into_lake(lake, ArchiveHour.of(KEY), raw_file, max_quarantine_fraction=0.05)
    rows = pq.read_table(lake.path(CLEAN)).to_pylist()
    quarantine = lake.path(QUARANTINE)
    return result, rows, quarantine.read_bytes() if quarantine.exists() else b""


def outcome(result, rows, quarantine):
    counts = (
        result.rows,
        result.lines,
        result.quarantined_lines,
        result.repaired_lines,
        dict(result.counts_by_type),
        result.first_created_at,
        result.last_created_at,
        result.raw_sha256,
    )
    # The scanner puts the rows it reads before the general path's within a
    # block, so the order of rows differs; their content may not.
    return counts, sorted(rows, key=repr), quarantine


@pytest.mark.parametrize("kind", ["events", "rich", "trimmed", "timeline", "bad_lines"])
def test_without_the_scanner_every_file_cleans_to_the_same_rows(tmp_path, monkeypatch, kind):
    raw_file = hour_file(tmp_path, kind)
    with_scanner = outcome(*clean_into(tmp_path / "fast", raw_file))
    monkeypatch.setattr(block_parser, "SCANNER", None)
    general_only = outcome(*clean_into(tmp_path / "general", raw_file))
    assert with_scanner[0] == general_only[0]
    assert with_scanner[1] == general_only[1]
    assert with_scanner[2] == general_only[2]
    assert with_scanner[0][0] > 500


# Runs the cleaner's command line in a Python that cannot import the scanner,
# as on a machine where it was never built.
WITHOUT_SCANNER = """
import importlib.abc, runpy, sys
class NoScanner(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "gharchive_assets.clean._linescan":
            raise ImportError("not built")
sys.meta_path.insert(0, NoScanner())
sys.argv = ["gharchive_assets.clean", *sys.argv[1:]]
runpy.run_module("gharchive_assets.clean", run_name="__main__", alter_sys=True)
"""


@pytest.mark.slow
def test_the_command_line_works_where_the_scanner_is_not_built(tmp_path):
    raw_file = hour_file(tmp_path, "bad_lines")
    completed = subprocess.run(
        [sys.executable, "-c", WITHOUT_SCANNER, str(raw_file), str(tmp_path / "cli"),
         "--partition", KEY, "--max-quarantine-fraction", "0.05"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "_linescan is not built" in completed.stderr
    summary = json.loads(completed.stdout)
    expected = outcome(*clean_into(tmp_path / "fast", raw_file))
    rows = pq.read_table(tmp_path / "cli" / CLEAN).to_pylist()
    assert summary["rows"] == expected[0][0] and summary["quarantined"] == expected[0][2]
    assert sorted(rows, key=repr) == expected[1]
    assert (tmp_path / "cli" / QUARANTINE).read_bytes() == expected[2]


def test_payloads_beyond_32_bit_offsets_are_split_into_chunks():
    payloads = (b'{"a":1}', None, b'{"b":"' + b"x" * 40 + b'"}', b"{}", b'{"c":[1,2,3]}')
    column = payload_array(payloads, max_chunk_bytes=20)
    assert column.num_chunks > 1
    assert all(chunk.nbytes < 200 for chunk in column.chunks)
    assert column.to_pylist() == [None if p is None else p.decode() for p in payloads]
    assert column.null_count == 1


def test_chunk_bounds_keep_every_chunk_within_32_bit_offsets():
    # Offsets only: 3 GiB of payload text in one block, never allocated.
    lengths = [1 << 30, 1 << 30, 1 << 30, 5, 7]
    bounds = chunk_bounds(lengths, MAX_STRING_BYTES)
    assert bounds == [(0, 1), (1, 2), (2, 5)]
    assert all(sum(lengths[a:b]) <= MAX_STRING_BYTES for a, b in bounds)
    assert chunk_bounds([], MAX_STRING_BYTES) == [(0, 0)]


def test_a_block_beyond_the_offset_limit_still_cleans_whole(tmp_path, monkeypatch):
    """With the limit made small, every block and payload column takes the
    chunked branch: the rows are those of the ordinary clean."""
    raw_file = hour_file(tmp_path, "rich")
    expected = outcome(*clean_into(tmp_path / "ordinary", raw_file))
    monkeypatch.setattr(block_parser, "MAX_STRING_BYTES", 64 << 10)
    chunked = outcome(*clean_into(tmp_path / "chunked", raw_file))
    assert chunked == expected
