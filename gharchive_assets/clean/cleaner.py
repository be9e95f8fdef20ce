"""Archive hour file → clean parquet (+ quarantine): the one cleaning code path.

Used by the ``clean_events_hour`` asset and by the command line
(``python -m gharchive_assets.clean``, see ``__main__``), with any
:class:`~gharchive_assets.contract.lake.Lake`.
"""

from __future__ import annotations

import gc
import hashlib
import queue
import shutil
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from gharchive_assets.clean.archive_lines import (
    MAX_LINE_BYTES,
    ArchiveFileError,
    OversizedLine,
    iter_line_blocks,
    sanitize,
)
from gharchive_assets.clean.block_parser import parse_block
from gharchive_assets.clean.coverage import HourCoverage
from gharchive_assets.clean.source_union import StagedSource, unite_sources
from gharchive_assets.clean.timestamps import EPOCH, ONE_MICROSECOND, iso
from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.contract.events_schema import ARROW_SCHEMA
from gharchive_assets.lake.paths import clean_path, quarantine_path
from gharchive_assets.lake.store import Lake

BATCH_ROWS = 8_192
# In every clean file's footer. 2: the created_at window, id, line-length and
# nesting rules (docs/hostile-input.md); files of version 1 may hold rows they reject.
CLEANER_VERSION = "2"
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
    hour: ArchiveHour
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
    repairs: Counter = field(default_factory=Counter)
    """Repaired lines by what was mended."""
    dropped_sources: dict[str, str] = field(default_factory=dict)
    """Secondary sources whose file could not be read, and why: left out of the hour."""
    raw_sha256: str | None = None
    coverage: dict = field(default_factory=dict)
    """The hour's coverage figures (see ``coverage.HourCoverage.figures``)."""

    def summary(self) -> dict:
        return {
            "partition": self.hour.key,
            "rows": self.rows,
            "quarantined": self.quarantined_lines,
            "repaired": self.repaired_lines,
            "repairs": dict(self.repairs),
            "dropped_sources": self.dropped_sources,
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

    def _open(self):
        if self._handle is None:
            self._handle = open(self.path, "wb")  # noqa: SIM115 (closed by close())
        return self._handle

    def add(self, line_number: int, reason: str, line: bytes, length: int | None = None) -> None:
        length = len(line) if length is None else length
        entry = {"line": line_number, "reason": reason, "bytes": length}
        sample = line[:QUARANTINE_TEXT_LIMIT]
        try:
            entry["text"] = sample.decode("utf-8")
        except UnicodeDecodeError:
            entry["text"] = sample.decode("utf-8", "backslashreplace")
        entry["truncated"] = length > len(sample)
        self._open().write(orjson.dumps(sanitize(entry)) + b"\n")

    def extend(self, other: Path) -> None:
        """Append another quarantine file's entries."""
        with open(other, "rb") as entries:
            shutil.copyfileobj(entries, self._open())

    def close(self) -> Path | None:
        if self._handle is None:
            return None
        self._handle.close()
        return self.path


def clean_archive_file(
    raw_file: Path,
    hour: ArchiveHour,
    workdir: Path,
    max_quarantine_fraction: float = 0.01,
    other_sources: Sequence[tuple[str, Path]] = (),
    source_name: str = "gharchive",
    max_line_bytes: int = MAX_LINE_BYTES,
) -> CleanResult:
    """Clean one archive hour into ``workdir`` (events.parquet, quarantine.jsonl).

    The raw file's sha256, computed on the way, is kept in the parquet footer
    (``raw_sha256``) so a load can tell which version of the hour it holds.

    The file is inflated in a thread, parsed here block by block, and written
    by another thread; memory is bounded by a few blocks, whatever the file's size.
    Raises :class:`HourFailed` when the file is unreadable or too much of it is bad.

    With ``other_sources`` ((name, file) of the same hour from other archives,
    GHARCHIVE_SOURCES), the hour is their union, each event (id, created_at)
    once, from the source whose copy is fullest (:mod:`.source_union`). A
    secondary file that cannot be read is left out, and said so in
    ``dropped_sources``; the hour loads from the others.
    """
    with _interpreter_tuned_for_cleaning():
        files = [(source_name, raw_file), *other_sources]
        return _clean(files, hour, workdir, max_quarantine_fraction, max_line_bytes)


@dataclass
class _SourceRead:
    """What one source's file gave: lines, rows offered, repairs, quarantine."""

    name: str
    lines: int = 0
    rows: int = 0
    repaired_lines: int = 0
    repairs: Counter = field(default_factory=Counter)
    quarantined_lines: int = 0
    quarantine_reasons: Counter = field(default_factory=Counter)


def _read_source(
    name: str,
    path: Path,
    archive_hour: int,
    quarantine: _QuarantineFile,
    emit: Callable[[pa.Table], None],
    digest=None,
    label: str = "",
    max_line_bytes: int = MAX_LINE_BYTES,
) -> _SourceRead:
    """Parse one archive file, handing its rows to ``emit`` in batches and its
    bad lines to ``quarantine`` (reasons prefixed with ``label``)."""
    read = _SourceRead(name)

    def reject(line_number: int, reason: str, line: bytes, length: int | None = None) -> None:
        read.quarantined_lines += 1
        read.quarantine_reasons[reason.split(":")[0]] += 1
        quarantine.add(line_number, label + reason, line, length)

    batches: list[pa.RecordBatch] = []
    pending_rows = 0
    for lines in iter_line_blocks(path, digest, max_line_bytes):
        if isinstance(lines, OversizedLine):
            read.lines += 1
            reason = (
                f"line too long: {lines.length:,} bytes, over the cap of {max_line_bytes:,} "
                "(GHARCHIVE_MAX_LINE_BYTES)"
            )
            reject(read.lines, reason, lines.head, lines.length)
            continue
        block = parse_block(lines, read.lines + 1, archive_hour)
        read.lines += block.lines
        read.repaired_lines += block.repaired_lines
        read.repairs.update(block.repairs)
        for line_number, reason, line in block.quarantined:
            reject(line_number, reason, line)
        batches.extend(block.batches)
        pending_rows += block.rows
        if pending_rows >= BATCH_ROWS:
            emit(pa.Table.from_batches(batches, ARROW_SCHEMA))
            read.rows += pending_rows
            batches, pending_rows = [], 0
    if batches:
        emit(pa.Table.from_batches(batches, ARROW_SCHEMA))
        read.rows += pending_rows
    return read


def _clean(files, hour: ArchiveHour, workdir, max_quarantine_fraction, max_line_bytes):
    raw_file = files[0][1]
    started = time.monotonic()
    archive_hour = (hour.start - EPOCH) // ONE_MICROSECOND
    result = CleanResult(hour)
    coverage = HourCoverage(archive_hour)
    events_file = workdir / "events.parquet"
    quarantine = _QuarantineFile(workdir / "quarantine.jsonl")
    writer = _ParquetSink(events_file)
    digest = hashlib.sha256()
    metadata = {"raw_file": raw_file.name, "cleaner_version": CLEANER_VERSION}

    def write(table: pa.Table) -> None:
        _write_batch(writer, table, result, coverage)

    try:
        if len(files) == 1:
            name, path = files[0]
            reads = [_read_source(name, path, archive_hour, quarantine, write, digest,
                                  max_line_bytes=max_line_bytes)]  # fmt: skip
        else:
            reads = _clean_union(
                files, archive_hour, workdir, quarantine, write, digest, max_line_bytes, result
            )
        for read in reads:
            result.lines += read.lines
            result.repaired_lines += read.repaired_lines
            result.repairs.update(read.repairs)
            result.quarantined_lines += read.quarantined_lines
            result.quarantine_reasons.update(read.quarantine_reasons)
        result.raw_sha256 = metadata["raw_sha256"] = digest.hexdigest()
        raw_bytes = sum(path.stat().st_size for _, path in files)
        result.coverage = {**coverage.figures(), "raw_bytes": raw_bytes, **result.coverage}
        metadata["coverage"] = orjson.dumps(result.coverage).decode()
    except ArchiveFileError as error:
        raise HourFailed(
            f"hour {hour}: the archive file {raw_file.name} {error}. "
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
            f"hour {hour}: {result.quarantined_lines:,} of {result.lines:,} lines of "
            f"{raw_file.name} could not be cleaned ({reasons}), more than the allowed "
            f"{max_quarantine_fraction:.1%}. Nothing was loaded for this hour; see the "
            "quarantine file for the lines, re-download the hour if the file is damaged, or "
            "raise GHARCHIVE_MAX_QUARANTINE_FRACTION to load it anyway.",
            quarantine_file=result.quarantine_file,
        )
    return result


def _clean_union(files, archive_hour, workdir, quarantine, write, digest, max_line_bytes, result):
    """Several sources' files of the hour: each parsed to a file of its own (a
    secondary one that cannot be read is dropped), then each event's fullest
    copy written through ``write``."""
    reads, staged = [], []
    for index, (name, path) in enumerate(files):
        staged_quarantine = _QuarantineFile(workdir / f"source-{index}-quarantine.jsonl")
        sink = _ParquetSink(workdir / f"source-{index}.parquet")
        source = StagedSource(name, len(staged), sink.path, sink.write)
        try:
            read = _read_source(
                name, path, archive_hour, staged_quarantine, source.write,
                digest if index == 0 else None, "" if index == 0 else f"{name}: ",
                max_line_bytes,
            )  # fmt: skip
        except ArchiveFileError as error:
            if index == 0:
                raise
            result.dropped_sources[name] = f"its file {path.name} {error}"
            continue
        finally:
            sink.close()
            staged_quarantine.close()
        if staged_quarantine.path.exists():
            quarantine.extend(staged_quarantine.path)
        reads.append(read)
        staged.append(source)
    union = unite_sources(staged, write, BATCH_ROWS)
    result.coverage.update(
        {
            "events_by_source": {read.name: read.rows for read in reads},
            "overlap_events": sum(read.rows for read in reads) - union.kept,
            "events_in_full_by_source": union.kept_by_source,
            "fuller_copies_preferred": union.fuller_copies_preferred,
        }
    )
    return reads


class _ParquetSink:
    """A parquet file written by a background thread: pyarrow encodes and
    compresses without the GIL, so writing overlaps the parsing of the next batch."""

    def __init__(self, path: Path):
        self.path = path
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
    if table.num_rows == 0:
        return
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
    hour: ArchiveHour,
    raw_file: Path,
    max_quarantine_fraction: float = 0.01,
    other_sources: Sequence[tuple[str, Path]] = (),
    source_name: str = "gharchive",
    max_line_bytes: int = MAX_LINE_BYTES,
) -> CleanResult:
    """Clean an hour and publish it: events, and quarantine (or remove a stale one).

    When the hour fails for too many bad lines, its quarantine file is still
    published, so the lines can be inspected; clean/ is left as it was.
    """
    with lake.staging_dir() as workdir:
        try:
            result = clean_archive_file(
                raw_file,
                hour,
                workdir,
                max_quarantine_fraction,
                other_sources,
                source_name,
                max_line_bytes,
            )
        except HourFailed as failure:
            if failure.quarantine_file is not None:
                lake.publish(failure.quarantine_file, quarantine_path(hour))
            raise
        if result.quarantine_file is not None:
            lake.publish(result.quarantine_file, quarantine_path(hour))
        else:
            lake.delete(quarantine_path(hour))
        lake.publish(result.events_file, clean_path(hour))
    return result
