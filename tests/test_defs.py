"""The code location as Dagster loads it: the asset graph, and the defs folder.

The graph is compared with ``tests/snapshots/asset_graph.json``, so a change
to keys, groups, kinds, dependencies, partitions, checks or jobs is seen in
review. After an intended change, rewrite the snapshot:
``.venv/bin/python -m tests.test_defs``.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from gharchive_assets.core.settings import Settings
from gharchive_assets.definitions import build_definitions

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = Path(__file__).with_name("snapshots") / "asset_graph.json"


def graph_spec(defs: dg.Definitions) -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "partitions": type(node.partitions_def).__name__,
            "checks": sorted(check.name for check in node.check_keys),
        }
    jobs = {
        job.name: sorted(key.to_user_string() for key in job.asset_layer.executable_asset_keys)
        for job in defs.resolve_all_job_defs()
        if not job.name.startswith("__")
    }
    return {
        "assets": dict(sorted(assets.items())),
        "jobs": jobs,
        "schedules": sorted(schedule.name for schedule in defs.schedules),
        "sensors": sorted(sensor.name for sensor in defs.sensors),
        "resources": sorted(defs.resources),
    }


def test_the_asset_graph_is_the_reviewed_one(tmp_path):
    spec = graph_spec(build_definitions(Settings(data_dir=tmp_path)))
    assert spec == json.loads(SNAPSHOT.read_text()), (
        "the asset graph changed; if that is intended, rewrite the snapshot "
        "(.venv/bin/python -m tests.test_defs) and review its diff"
    )


def test_both_targets_build_the_same_graph_of_their_own_kinds(tmp_path):
    local = graph_spec(build_definitions(Settings(data_dir=tmp_path)))
    gcp = graph_spec(build_definitions(Settings(target="gcp", gcp_project="p", gcs_bucket="b")))
    assert local["assets"].keys() == gcp["assets"].keys()
    assert gcp["assets"]["raw_archive_hour"]["kinds"] == ["gcs"]
    assert gcp["assets"]["gharchive/events"]["kinds"] == ["bigquery"]
    assert local["assets"]["gharchive/events"]["kinds"] == ["duckdb"]


def test_every_module_of_defs_is_a_stage_of_the_code_location():
    """A module added to defs/ but not to definitions.STAGES would be silently
    left out of the code location; and each stage is named after its module."""
    from gharchive_assets import definitions

    modules = {
        path.stem
        for path in (REPO / "gharchive_assets/defs").glob("*.py")
        if path.stem != "__init__"
    }
    staged = {stage.__module__.rsplit(".", 1)[-1] for stage in definitions.STAGES}
    assert staged == modules


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        spec = graph_spec(build_definitions(Settings(data_dir=Path(scratch))))
    SNAPSHOT.write_text(json.dumps(spec, indent=1) + "\n")
    print(f"wrote {SNAPSHOT}")


def test_model_descriptions_are_the_yaml_ones_without_raw_sql(tmp_path):
    defs = build_definitions(Settings(data_dir=tmp_path))
    graph = defs.resolve_asset_graph()
    analytics = [key for key in graph.get_all_asset_keys() if key.path[0] == "analytics"]
    assert len(analytics) > 20
    for key in analytics:
        description = graph.get(key).description or ""
        assert description and "Raw SQL" not in description and "```" not in description, key
    events = graph.get(dg.AssetKey(["analytics", "daily_event_counts"])).description
    assert events == "Events per UTC day and event type."
