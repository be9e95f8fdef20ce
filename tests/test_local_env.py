"""`.env`, the one place for a machine's settings: read under the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from gharchive_assets.core.local_env import (
    SettingsFileError,
    apply_dotenv,
    dagster_working_directory,
)
from gharchive_assets.core.settings import SettingsError, load_settings


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
    assert bare == {
        "GHARCHIVE_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / ".dagster_home"),
    }


def test_dagster_runs_where_no_env_file_would_override_the_environment(tmp_path, monkeypatch):
    """Dagster's CLI loads a .env in its working directory over the environment,
    so the commands start it in DAGSTER_HOME, not in the checkout."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("GHARCHIVE_START=2015-01-01-05:00\n")
    home = dagster_working_directory({"DAGSTER_HOME": str(tmp_path / "home")})
    assert home == tmp_path / "home" and home.is_dir()
    assert not (home / ".env").exists()
    assert dagster_working_directory({}) == Path(tmp_path / ".dagster_home")


def test_values_are_kept_as_written_and_no_shell_runs_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hostile = f"{tmp_path}/home $(touch {tmp_path}/pwned) `touch {tmp_path}/pwned` ${{HOME}}"
    (tmp_path / ".env").write_text(f"DAGSTER_HOME={hostile}\n")
    environ: dict[str, str] = {}
    apply_dotenv(environ)
    assert environ["DAGSTER_HOME"] == hostile
    assert not (tmp_path / "pwned").exists()


def test_dagster_home_comes_from_the_named_file_or_is_the_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "other.env").write_text("DAGSTER_HOME=instances/other\n")
    named = {"GHARCHIVE_ENV_FILE": "other.env"}
    apply_dotenv(named)
    assert named["DAGSTER_HOME"] == str(tmp_path / "instances/other")
    bare: dict[str, str] = {}
    apply_dotenv(bare)
    assert bare["DAGSTER_HOME"] == str(tmp_path / ".dagster_home")


@pytest.mark.parametrize("kind", ["named-missing", "named-directory", "dotenv-directory"])
def test_a_settings_file_that_cannot_be_read_is_named(tmp_path, monkeypatch, kind):
    monkeypatch.chdir(tmp_path)
    environ = {} if kind == "dotenv-directory" else {"GHARCHIVE_ENV_FILE": "gcp.env"}
    if kind != "named-missing":
        (tmp_path / (".env" if kind == "dotenv-directory" else "gcp.env")).mkdir()
    with pytest.raises(SettingsFileError) as raised:
        apply_dotenv(environ)
    name = ".env" if kind == "dotenv-directory" else "gcp.env"
    assert str(tmp_path / name) in str(raised.value)
    assert ("does not exist" if kind == "named-missing" else "is not a file") in str(raised.value)


@pytest.mark.parametrize(
    "variable, value",
    [
        ("GHARCHIVE_BASE_URL", "https://me:s3cret@mirror.example/gharchive"),
        ("GHARCHIVE_SOURCES", "a=https://me:s3cret@mirror.example/x@2026-09-06-00:00"),
        ("GITHUB_API_URL", "https://me:s3cret@api.example"),
    ],
)
def test_a_url_with_credentials_is_refused_without_printing_them(variable, value):
    with pytest.raises(SettingsError) as raised:
        load_settings({variable: value})
    assert "carries credentials" in str(raised.value) and variable in str(raised.value)
    assert "s3cret" not in str(raised.value) and "://me:***@" in str(raised.value)


def test_stop_signals_ignored_by_a_background_start_are_taken_back():
    """A script's `make run &` starts with SIGINT ignored; Dagster then maps
    SIGTERM onto it. The entry points take both back, and keep a handler of
    their own (make dev's) as it is."""
    import signal

    from gharchive_assets.core.stop_signals import take_back_stop_signals

    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        take_back_stop_signals()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        own = lambda *_: None  # noqa: E731
        signal.signal(signal.SIGTERM, own)
        take_back_stop_signals()
        assert signal.getsignal(signal.SIGTERM) is own
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
