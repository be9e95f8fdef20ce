"""Archive hour file → clean parquet (+ quarantine): the one cleaning code path.

Used by the ``clean_events_hour`` asset and from the command line::

    python -m gharchive_assets.clean SRC DEST_DIR --partition 2015-01-01-01:00

which writes the same lake files under DEST_DIR and prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from gharchive_assets.archive_lines import (
    ArchiveFileError,
    BadLine,
    iter_lines,
    parse_line,
    sanitize,
)
from gharchive_assets.event_records import EPOCH, ONE_MICROSECOND, normalise
from gharchive_assets.events_schema import ARROW_SCHEMA
from gharchive_assets.partitions import clean_path, parse_key, quarantine_path

BATCH_ROWS = 16_384
CLEANER_VERSION = "1"
QUARANTINE_TEXT_LIMIT = 1 << 20


class HourFailed(RuntimeError):
    """An hour that cannot be cleaned; the message names the hour and what to do."""

    def __init__(self, message: str, quarantine_file: Path | None = None):
        super().__init__(message)
        self.quarantine_file = quarantine_file


@dataclass
class CleanResult:
    partition_key: str
    rows: int = 0
    lines: int = 0
    quarantined_lines: int = 0
    repaired_lines: int = 0
    counts_by_type: Counter = field(default_factory=Counter)
    first_created_at: int | None = None
    last_created_at: int | None = None
    seconds: float = 0.0
    events_file: Path | None = None
    quarantine_file: Path | None = None
    quarantine_reasons: Counter = field(default_factory=Counter)

    def summary(self) -> dict:
        def iso(micros):
            return None if micros is None else (EPOCH + micros * ONE_MICROSECOND).isoformat()

        return {
            "partition": self.partition_key,
            "rows": self.rows,
            "quarantined": self.quarantined_lines,
            "repaired": self.repaired_lines,
            "first_created_at": iso(self.first_created_at),
            "last_created_at": iso(self.last_created_at),
            "seconds": round(self.seconds, 3),
        }


class _QuarantineFile:
    """Bad lines, one JSON object each: line number, reason and the text."""

    def __init__(self, path: Path):
        self.path = path
        self._handle = None

    def add(self, line_number: int, reason: str, line: bytes) -> None:
        if self._handle is None:
            self._handle = open(self.path, "wb")  # noqa: SIM115 (closed by close())
        entry = {"line": line_number, "reason": reason, "bytes": len(line)}
        sample = line[:QUARANTINE_TEXT_LIMIT]
        try:
            entry["text"] = sample.decode("utf-8")
        except UnicodeDecodeError:
            entry["text"] = sample.decode("utf-8", "backslashreplace")
        entry["truncated"] = len(line) > QUARANTINE_TEXT_LIMIT
        self._handle.write(orjson.dumps(sanitize(entry)) + b"\n")

    def close(self) -> Path | None:
        if self._handle is None:
            return None
        self._handle.close()
        return self.path


def clean_archive_file(
    raw_file: Path,
    partition_key: str,
    workdir: Path,
    max_quarantine_fraction: float = 0.01,
    source_sha256: str | None = None,
) -> CleanResult:
    """Clean one archive hour into ``workdir`` (events.parquet, quarantine.jsonl).

    Raises :class:`HourFailed` when the file is unreadable or too much of it is bad.
    """
    started = time.monotonic()
    archive_hour = (parse_key(partition_key) - EPOCH) // ONE_MICROSECOND
    result = CleanResult(partition_key)
    events_file = workdir / "events.parquet"
    quarantine = _QuarantineFile(workdir / "quarantine.jsonl")
    writer = pq.ParquetWriter(events_file, ARROW_SCHEMA, compression="zstd")
    metadata = {"raw_file": raw_file.name, "cleaner_version": CLEANER_VERSION}
    if source_sha256:
        metadata["raw_sha256"] = source_sha256
    rows: list[tuple] = []
    counts = result.counts_by_type
    first = last = None
    try:
        for line_number, line in enumerate(iter_lines(raw_file), start=1):
            try:
                records, repair = parse_line(line)
                if repair is not None:
                    records = [sanitize(record) for record in records]
                    result.repaired_lines += 1
                elif b"\\u0000" in line:
                    records = [sanitize(records[0])]
                parsed = [normalise(record, archive_hour) for record in records]
            except BadLine as bad:
                result.quarantined_lines += 1
                result.quarantine_reasons[str(bad).split(":")[0]] += 1
                quarantine.add(line_number, str(bad), line)
                continue
            finally:
                result.lines = line_number
            for row in parsed:
                counts[row[1]] += 1
                created = row[2]
                if first is None or created < first:
                    first = created
                if last is None or created > last:
                    last = created
            rows.extend(parsed)
            if len(rows) >= BATCH_ROWS:
                writer.write_table(_to_table(rows))
                result.rows += len(rows)
                rows = []
        if rows:
            writer.write_table(_to_table(rows))
            result.rows += len(rows)
        writer.add_key_value_metadata(metadata)
    except ArchiveFileError as error:
        raise HourFailed(
            f"hour {partition_key}: the archive file {raw_file.name} {error}. "
            "Nothing was loaded for this hour. The raw file is kept for inspection; "
            "re-download the hour (materialise raw_archive_hour again), and if the "
            "source still serves a bad file, report it to GH Archive."
        ) from error
    finally:
        writer.close()
        result.quarantine_file = quarantine.close()
    result.first_created_at, result.last_created_at = first, last
    result.events_file = events_file
    result.seconds = time.monotonic() - started
    if result.lines and result.quarantined_lines > max_quarantine_fraction * result.lines:
        reasons = ", ".join(f"{n} {r}" for r, n in result.quarantine_reasons.most_common(3))
        raise HourFailed(
            f"hour {partition_key}: {result.quarantined_lines:,} of {result.lines:,} lines of "
            f"{raw_file.name} could not be cleaned ({reasons}), more than the allowed "
            f"{max_quarantine_fraction:.1%}. Nothing was loaded for this hour; see the "
            "quarantine file for the lines, re-download the hour if the file is damaged, or "
            "raise GHARCHIVE_MAX_QUARANTINE_FRACTION to load it anyway.",
            quarantine_file=result.quarantine_file,
        )
    return result


def _to_table(rows: list[tuple]) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    arrays = [
        pa.array(values, type=field_.type)
        for values, field_ in zip(columns, ARROW_SCHEMA, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


def clean_hour_into_lake(
    lake,
    partition_key: str,
    raw_file: Path,
    max_quarantine_fraction: float = 0.01,
    source_sha256: str | None = None,
) -> CleanResult:
    """Clean an hour and publish it: events, and quarantine (or remove a stale one).

    When the hour fails for too many bad lines, its quarantine file is still
    published, so the lines can be inspected; clean/ is left as it was.
    """
    with lake.staging_dir() as workdir:
        try:
            result = clean_archive_file(
                raw_file, partition_key, workdir, max_quarantine_fraction, source_sha256
            )
        except HourFailed as failure:
            if failure.quarantine_file is not None:
                lake.publish(failure.quarantine_file, quarantine_path(partition_key))
            raise
        if result.quarantine_file is not None:
            lake.publish(result.quarantine_file, quarantine_path(partition_key))
        else:
            lake.delete(quarantine_path(partition_key))
        lake.publish(result.events_file, clean_path(partition_key))
    return result


def main(argv: list[str] | None = None) -> int:
    from gharchive_assets.resources.lake import LocalLakeResource, sha256_of

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
    lake = LocalLakeResource(root=str(args.dest_dir))
    try:
        result = clean_hour_into_lake(
            lake, args.partition, args.src, args.max_quarantine_fraction, sha256_of(args.src)
        )
    except (HourFailed, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result.summary()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
