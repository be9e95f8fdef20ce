"""BigQuery's rules on jobs at once, as the proxy in front of bqemulator keeps
them (tests/iam_proxy.py, ``BigQueryRules``); the partitions-per-job limit,
which needs the emulator, is in tests/test_bigquery_warehouse.py."""

from __future__ import annotations

import json
import threading
import time
from contextlib import ExitStack

import pytest

from tests.iam_proxy import MUTATING_DML_QUEUED, BigQueryRules, RuleBroken

PATH = "/bigquery/v2/projects/p/jobs"
MERGE = "MERGE d.t AS t USING d.s AS s ON FALSE WHEN NOT MATCHED BY SOURCE THEN DELETE;"
INSERT = "INSERT INTO d.t (a) SELECT a FROM d.s;"


def job(sql: str) -> bytes:
    return json.dumps({"configuration": {"query": {"query": sql}}}).encode()


def transaction(*statements: str) -> bytes:
    return job("BEGIN TRANSACTION; " + " ".join(statements) + " COMMIT TRANSACTION;")


@pytest.fixture
def rules() -> BigQueryRules:
    return BigQueryRules(upstream=None)


def test_a_transaction_mutating_a_table_another_mutates_is_aborted(rules):
    with ExitStack() as running:
        running.enter_context(rules.job(PATH, transaction(MERGE)))
        with pytest.raises(
            RuleBroken, match=r"aborted due to concurrent update against table d\.t"
        ):
            running.enter_context(rules.job(PATH, transaction(INSERT, MERGE)))
    with rules.job(PATH, transaction(MERGE)):  # free again once the first ended
        pass


def test_inserts_run_beside_anything(rules):
    with ExitStack() as running:
        for body in (transaction(MERGE), transaction(INSERT), job(INSERT), transaction(INSERT)):
            running.enter_context(rules.job(PATH, body))


def test_mutating_dml_runs_two_at_a_time_and_twenty_wait(rules):
    holding = ExitStack()
    for _ in range(2):
        holding.enter_context(rules.job(PATH, job(MERGE)))
    started, held = [], ExitStack()  # each started job held until the end

    def start() -> None:
        held.enter_context(rules.job(PATH, job(MERGE)))
        started.append(True)

    for _ in range(MUTATING_DML_QUEUED):
        threading.Thread(target=start, daemon=True).start()
    while rules._waiting.get("d.t", 0) < MUTATING_DML_QUEUED:
        time.sleep(0.01)
    assert started == []  # the third waits for one of the two
    with pytest.raises(RuleBroken, match=r"Too many DML statements outstanding.*limit is 20"):
        held.enter_context(rules.job(PATH, job(MERGE)))
    with pytest.raises(RuleBroken, match="aborted"):  # a transaction meets the running ones
        held.enter_context(rules.job(PATH, transaction(MERGE)))
    holding.close()
    while len(started) < 2:
        time.sleep(0.01)
    assert rules._running["d.t"] == 2 and rules._waiting["d.t"] == MUTATING_DML_QUEUED - 2
