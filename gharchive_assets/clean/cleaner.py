"""Archive hour file → clean parquet (+ quarantine): the one cleaning code path.

Used by the ``clean_events_hour`` asset and by the command line
(``python -m gharchive_assets.clean``, see ``__main__``), with any
:class:`~gharchive_assets.contract.lake.Lake`.
"""

from __future__ import annotations

import gc
import hashlib
import queue
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from gharchive_assets.clean.archive_lines import ArchiveFileError, iter_line_blocks, sanitize
from gharchive_assets.clean.block_parser import parse_block
from gharchive_assets.clean.coverage import HourCoverage
from gharchive_assets.clean.timestamps import EPOCH, ONE_MICROSECOND, iso
from gharchive_assets.contract.events_schema import ARROW_SCHEMA
from gharchive_assets.contract.lake import Lake
from gharchive_assets.contract.lake_paths import clean_path, parse_key, quarantine_path

BATCH_ROWS = 8_192
CLEANER_VERSION = "1"
# Ids and payloads are (nearly) unique: dictionary pages would be wasted work.
DICTIONARY_COLUMNS = [name for name in ARROW_SCHEMA.names if name not in ("id", "payload")]
QUARANTINE_TEXT_LIMIT = 1 << 20
SWITCH_INTERVAL_SECONDS = 0.001


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
    raw_sha256: str | None = None
    coverage: dict = field(default_factory=dict)
    """The hour's coverage figures (see ``coverage.HourCoverage.figures``)."""

    def summary(self) -> dict:
        return {
            "partition": self.partition_key,
            "rows": self.rows,
            "quarantined": self.quarantined_lines,
            "repaired": self.repaired_lines,
            "first_created_at": iso(self.first_created_at),
            "last_created_at": iso(self.last_created_at),
            "seconds": round(self.seconds, 3),
            **self.coverage,
        }


@contextmanager
def _interpreter_tuned_for_cleaning() -> Iterator[None]:
    """Two measured settings, restored afterwards.

    The cyclic GC is paused: cleaning makes no cycles, and GC passes over a
    batch's many live objects cost about a sixth of the time. The GIL switch
    interval drops from 5 ms to 1 ms: the inflate and parquet threads wait for
    the GIL after each call into C, and at 5 ms they starve the pipeline
    (a 2024-sized hour: 4.9 s at 5 ms, 3.7 s at 1 ms).
    """
    was_enabled, interval = gc.isenabled(), sys.getswitchinterval()
    gc.disable()
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        if was_enabled:
            gc.enable()


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
    other_sources: Sequence[tuple[str, Path]] = (),
    source_name: str = "gharchive",
) -> CleanResult:
    """Clean one archive hour into ``workdir`` (events.parquet, quarantine.jsonl).

    The raw file's sha256, computed on the way, is kept in the parquet footer
    (``raw_sha256``) so a load can tell which version of the hour it holds.

    The file is inflated in a thread, parsed here block by block, and written
    by another thread; memory is bounded by a few blocks, whatever the file's size.
    Raises :class:`HourFailed` when the file is unreadable or too much of it is bad.

    With ``other_sources`` ((name, file) of the same hour from other archives,
    GHARCHIVE_SOURCES), the hour is their union: an event of a later file is
    kept only when no earlier file has the same id and created_at. What each
    source gave and their overlap go into the coverage figures.
    """
    with _interpreter_tuned_for_cleaning():
        files = [(source_name, raw_file), *other_sources]
        return _clean(files, partition_key, workdir, max_quarantine_fraction)


def _clean(files, partition_key, workdir, max_quarantine_fraction):
    raw_file = files[0][1]
    started = time.monotonic()
    archive_hour = (parse_key(partition_key) - EPOCH) // ONE_MICROSECOND
    result = CleanResult(partition_key)
    coverage = HourCoverage(archive_hour)
    events_file = workdir / "events.parquet"
    quarantine = _QuarantineFile(workdir / "quarantine.jsonl")
    writer = _ParquetSink(events_file)
    digest = hashlib.sha256()
    metadata = {"raw_file": raw_file.name, "cleaner_version": CLEANER_VERSION}
    batches: list[pa.RecordBatch] = []
    pending_rows = 0
    union = _Union(len(files) > 1)
    given: dict[str, int] = {}
    try:
        for index, (name, path) in enumerate(files):
            rows_before = union.rows_offered
            # The first source's sha256 names the clean hour; the others' were
            # recorded beside their files at download.
            for lines in iter_line_blocks(path, digest if index == 0 else None):
                block = parse_block(lines, result.lines + 1, archive_hour)
                result.lines += block.lines
                result.repaired_lines += block.repaired_lines
                for line_number, reason, line in block.quarantined:
                    result.quarantined_lines += 1
                    result.quarantine_reasons[reason.split(":")[0]] += 1
                    quarantine.add(line_number, reason if index == 0 else f"{name}: {reason}", line)
                batches.extend(block.batches)
                pending_rows += block.rows
                if pending_rows >= BATCH_ROWS:
                    table = union.keep_new(pa.Table.from_batches(batches, ARROW_SCHEMA), index)
                    _write_batch(writer, table, result, coverage)
                    batches, pending_rows = [], 0
            if batches:
                table = union.keep_new(pa.Table.from_batches(batches, ARROW_SCHEMA), index)
                _write_batch(writer, table, result, coverage)
                batches, pending_rows = [], 0
            given[name] = union.rows_offered - rows_before
        result.raw_sha256 = metadata["raw_sha256"] = digest.hexdigest()
        raw_bytes = sum(path.stat().st_size for _, path in files)
        result.coverage = {**coverage.figures(), "raw_bytes": raw_bytes}
        if len(files) > 1:
            result.coverage["events_by_source"] = given
            result.coverage["overlap_events"] = union.dropped
        metadata["coverage"] = orjson.dumps(result.coverage).decode()
    except ArchiveFileError as error:
        raise HourFailed(
            f"hour {partition_key}: the archive file {raw_file.name} {error}. "
            "Nothing was loaded for this hour. The raw file is kept for inspection; "
            "re-download the hour (materialise raw_archive_hour again), and if the "
            "source still serves a bad file, report it to GH Archive."
        ) from error
    finally:
        # Metadata marks a complete file; a failed clean's file is discarded anyway.
        writer.close(metadata)
        result.quarantine_file = quarantine.close()
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


class _Union:
    """Each event once across sources: a later source's row is dropped when an
    earlier one had the same id and created_at (one source's own duplicates
    are kept, as they are without other sources)."""

    def __init__(self, active: bool):
        self.active = active
        self.seen: set[tuple[str, int]] = set()
        self.rows_offered = 0
        self.dropped = 0

    def keep_new(self, table: pa.Table, source_index: int) -> pa.Table:
        self.rows_offered += table.num_rows
        if not self.active:
            return table
        keys = list(
            zip(
                table.column("id").to_pylist(),
                table.column("created_at").cast(pa.int64()).to_pylist(),
                strict=True,
            )
        )
        if source_index > 0:
            fresh = [key not in self.seen for key in keys]
            self.dropped += fresh.count(False)
            table = table.filter(pa.array(fresh))
            keys = [key for key, keep in zip(keys, fresh, strict=True) if keep]
        self.seen.update(keys)
        return table


class _ParquetSink:
    """A parquet file written by a background thread: pyarrow encodes and
    compresses without the GIL, so writing overlaps the parsing of the next batch."""

    def __init__(self, path: Path):
        self._writer = pq.ParquetWriter(
            path, ARROW_SCHEMA, compression="zstd", use_dictionary=DICTIONARY_COLUMNS
        )
        self._tables: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="gharchive-parquet", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (table := self._tables.get()) is not None:
            if self._error is None:
                try:
                    self._writer.write_table(table)
                except BaseException as error:
                    self._error = error

    def write(self, table: pa.Table) -> None:
        if self._error is not None:
            raise self._error
        self._tables.put(table)

    def close(self, metadata: dict[str, str] | None = None) -> None:
        self._tables.put(None)
        self._thread.join()
        try:
            if metadata and self._error is None:
                self._writer.add_key_value_metadata(metadata)
        finally:
            self._writer.close()
        if self._error is not None:
            raise self._error


def _write_batch(
    writer: _ParquetSink, table: pa.Table, result: CleanResult, coverage: HourCoverage
) -> None:
    """Write a batch of rows and fold its statistics into ``result`` and ``coverage``."""
    writer.write(table)
    coverage.add(table)
    result.rows += table.num_rows
    extremes = pc.min_max(table.column("created_at").cast(pa.int64()))
    low, high = extremes["min"].as_py(), extremes["max"].as_py()
    if result.first_created_at is None or low < result.first_created_at:
        result.first_created_at = low
    if result.last_created_at is None or high > result.last_created_at:
        result.last_created_at = high
    for entry in pc.value_counts(table.column("type")).to_pylist():
        result.counts_by_type[entry["values"]] += entry["counts"]


def clean_hour_into_lake(
    lake: Lake,
    partition_key: str,
    raw_file: Path,
    max_quarantine_fraction: float = 0.01,
    other_sources: Sequence[tuple[str, Path]] = (),
    source_name: str = "gharchive",
) -> CleanResult:
    """Clean an hour and publish it: events, and quarantine (or remove a stale one).

    When the hour fails for too many bad lines, its quarantine file is still
    published, so the lines can be inspected; clean/ is left as it was.
    """
    with lake.staging_dir() as workdir:
        try:
            result = clean_archive_file(
                raw_file,
                partition_key,
                workdir,
                max_quarantine_fraction,
                other_sources,
                source_name,
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
