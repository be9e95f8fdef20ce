"""The code location as Dagster loads it: the asset graph, and the defs folder.

The graph is compared with ``tests/snapshots/asset_graph.json``, so a change
to keys, groups, kinds, dependencies, partitions, checks or jobs is seen in
review. After an intended change, rewrite the snapshot:
``.venv/bin/python -m tests.test_defs``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from gharchive_assets.definitions import build_definitions
from gharchive_assets.settings import Settings

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


PROBE = '''
import dagster as dg


@dg.asset(group_name="probe")
def probe_asset() -> None:
    """An asset no other module knows of."""
'''


def test_a_module_added_to_the_defs_folder_is_loaded(tmp_path):
    """A copy of the project with one more file in defs/: the code location has
    its asset, with no other change (the way `dg scaffold defs` adds one)."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(REPO / "pyproject.toml", project)
    shutil.copytree(
        REPO / "gharchive_assets",
        project / "gharchive_assets",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (project / "dbt_project").symlink_to(REPO / "dbt_project")
    (project / "gharchive_assets/defs/probe.py").write_text(PROBE)
    listing = (
        "import json\n"
        "from gharchive_assets.definitions import defs\n"
        "graph = defs().resolve_asset_graph()\n"
        "print(json.dumps([k.to_user_string() for k in graph.get_all_asset_keys()]))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", listing],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project), "GHARCHIVE_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    keys = json.loads(completed.stdout.strip().splitlines()[-1])
    assert "probe_asset" in keys
    assert {"raw_archive_hour", "gharchive/events", "daily_report"} <= set(keys)


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
