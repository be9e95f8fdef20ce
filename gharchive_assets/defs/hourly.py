"""Running an hourly asset over every hour of a run's partition range."""

from collections.abc import Callable, Mapping
from typing import Any

import dagster as dg


def for_each_hour(
    context: dg.AssetExecutionContext, work: Callable[[str], Mapping[str, Any]]
) -> dg.MaterializeResult:
    """Do ``work`` for each hour of the run; one failed hour does not stop the others.

    Each hour's metadata is attached to that partition's materialisation. If any
    hour failed, the step fails at the end with every failed hour and its reason.
    """
    keys = context.partition_keys
    failures: dict[str, str] = {}
    for key in keys:
        try:
            metadata = work(key)
        except Exception as error:  # reported below, per hour
            context.log.error(f"hour {key} failed: {error}")
            failures[key] = f"{type(error).__name__}: {error}"
            continue
        context.add_asset_metadata(dict(metadata), partition_key=key)
    if failures:
        listing = "\n".join(f"- {key}: {reason}" for key, reason in failures.items())
        others = "" if len(failures) == len(keys) else "; the other hours were processed"
        raise dg.Failure(
            description=(
                f"{len(failures)} of {len(keys)} hours failed{others}. "
                f"Re-run the failed hours once the cause is fixed:\n{listing}"
            ),
            metadata={"failed_hours": sorted(failures)},
        )
    return dg.MaterializeResult(metadata={"hours": len(keys)})
