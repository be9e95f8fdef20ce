"""`.env`, the one place for a machine's settings: read under the environment."""

from __future__ import annotations

from pathlib import Path

from gharchive_assets.local_env import apply_dotenv, dagster_working_directory
from gharchive_assets.settings import load_settings


def test_the_file_fills_in_what_the_environment_does_not_set(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "# a comment\n"
        "GHARCHIVE_START=2015-01-01-05:00\n"
        'export GHARCHIVE_BASE_URL="file:///from/the/file"\n'
        "GHARCHIVE_DATA_DIR=relative/data\n"
        "GHARCHIVE_HOURS_PER_RUN=48\n"
    )
    environ = {"GHARCHIVE_HOURS_PER_RUN": "6", "GHARCHIVE_BASE_URL": ""}
    taken = apply_dotenv(environ)
    assert sorted(taken) == ["GHARCHIVE_BASE_URL", "GHARCHIVE_DATA_DIR", "GHARCHIVE_START"]
    settings = load_settings(environ)
    assert settings.start == "2015-01-01-05:00"
    assert settings.base_url == "file:///from/the/file", "an empty variable is not a setting"
    assert settings.hours_per_run == 6, "the environment wins over the file"
    assert settings.data_dir == tmp_path / "relative/data", "relative to where make runs"


def test_another_file_can_be_named_and_no_file_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gcp.env").write_text("GHARCHIVE_TARGET=gcp\n")
    named = {"GHARCHIVE_ENV_FILE": "gcp.env"}
    assert apply_dotenv(named) == {"GHARCHIVE_TARGET": "gcp"}
    bare: dict[str, str] = {}
    assert apply_dotenv(bare) == {}
    assert bare == {"GHARCHIVE_DATA_DIR": str(tmp_path / "data")}


def test_dagster_runs_where_no_env_file_would_override_the_environment(tmp_path, monkeypatch):
    """Dagster's CLI loads a .env in its working directory over the environment,
    so the commands start it in DAGSTER_HOME, not in the checkout."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("GHARCHIVE_START=2015-01-01-05:00\n")
    home = dagster_working_directory({"DAGSTER_HOME": str(tmp_path / "home")})
    assert home == tmp_path / "home" and home.is_dir()
    assert not (home / ".env").exists()
    assert dagster_working_directory({}) == Path(tmp_path / ".dagster_home")
