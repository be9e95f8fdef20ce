# make run | make test | make dev — each sets up .venv first (pinned versions).
# Settings: a .env at the root (KEY=value lines), or the file GHARCHIVE_ENV_FILE
# names; a variable set in the environment wins over it. Only Python reads it
# (gharchive_assets/core/local_env.py): no setting is ever put into a recipe's shell
# line. START and END reach `make run` as exported variables, as data.
SHELL := /bin/bash
PYTHON ?= python3.11
# uv, which installs every pin; .github/workflows use the same (tests/test_workflows.py).
UV_VERSION := 0.13.8
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
START ?= 2015-01-01-00:00
END ?= 2015-01-01-02:00
export START END
# Dagster writes the events it plans for a run, and a ranged step's
# materialisations, in batches of this many (one transaction each on the local
# instance: gharchive_assets/instance/event_log.py), not one at a time.
export DAGSTER_EVENT_BATCH_SIZE ?= 1000
# A run's planned events are one per asset carrying its partitions, not one per
# asset and partition (72 for a day of hours): what every process that creates
# runs sets on GKE too (deploy/helm/values.yaml.tftpl). A failed run's hours then
# show as missing, not failed (docs/backfills.md).
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS ?= 1
# Let Python cache bytecode in .venv: without it every dagster or dbt process
# recompiles its imports (a Dagster CLI start takes 11 s instead of 5 s).
unexport PYTHONDONTWRITEBYTECODE
# dagster-dbt runs the dbt beside this Python.
export PATH := $(BIN):$(PATH)

.PHONY: setup run test test-fast dev dashboard lint format lock clean hclfmt image \
	check-defs compile-bigquery check-terraform check-workflows

# The runtime pins (requirements.txt) and the test and development tools
# (requirements-dev.txt), then the project itself with its C line scanner.
# Bytecode is compiled at install (uv does not by default): otherwise the first
# start of each tool compiles its imports (make dashboard: 8 s instead of 3 s).
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml setup.py gharchive_assets/clean/_linescan.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# The BigQuery emulator for the tests, in its own environment (its pins clash).
BQ_VENV := .venv-bqemulator
$(BQ_VENV)/.installed: requirements-bqemulator.txt $(VENV)/.installed
	$(PYTHON) -m venv $(BQ_VENV)
	$(BIN)/uv pip sync --quiet --python $(BQ_VENV)/bin/python requirements-bqemulator.txt
	touch $@

# checkov for the terraform checks, in its own environment too (its pins clash).
CHECKOV_VENV := .venv-checkov
$(CHECKOV_VENV)/.installed: requirements-checkov.txt $(VENV)/.installed
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(BIN)/uv pip sync --quiet --python $(CHECKOV_VENV)/bin/python requirements-checkov.txt
	touch $@

# hashicorp's hclfmt, built from Debian's hcl v2 sources (no terraform binary can
# be had here); .ci/run installs golang-go and golang-github-hashicorp-hcl-v2-dev.
HCL_GOPATH := /usr/share/gocode
hclfmt: $(VENV)/.installed
	@if [ ! -x $(BIN)/hclfmt ] && command -v go >/dev/null \
	    && [ -d $(HCL_GOPATH)/src/github.com/hashicorp/hcl/v2/cmd/hclfmt ]; then \
	  GOPATH=$(HCL_GOPATH) GO111MODULE=off GOCACHE=$(abspath $(VENV))/go-cache \
	    go build -o $(BIN)/hclfmt github.com/hashicorp/hcl/v2/cmd/hclfmt; fi

# dbt's manifest for each target (local, gcp, gcp_emulator), by dagster-dbt's own
# preparation (dbt parse), redone when anything in dbt_project/ changes.
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o -path dbt_project/logs -prune -o -type f -print)
DBT_PREPARED := dbt_project/target/.prepared
$(DBT_PREPARED): $(VENV)/.installed $(DBT_SOURCES) gharchive_assets/core/dbt_project.py
	@echo "make: dbt's manifests, by dagster-dbt's prepare-and-package (dbt parse per target)"
	@$(BIN)/dagster-dbt project prepare-and-package --file gharchive_assets/core/dbt_project.py >/dev/null
	@touch $@

# The settings' Dagster instance (DAGSTER_HOME, .dagster_home by default), given
# deploy/dagster.local.yaml when new, its storage created once.
setup: $(VENV)/.installed $(DBT_PREPARED)
	@$(BIN)/python -m gharchive_assets.instance.local_instance

# sqlfluff renders the models through dbt (local target, a scratch warehouse).
SQLFLUFF = cd dbt_project && GHARCHIVE_DATA_DIR="$$(mktemp -d)" $(BIN)/sqlfluff

# gharchive_assets/cli/make_run.py: START..END checked first (keys, order, an END
# that has ended), as is GHARCHIVE_START (a START before it widens the
# partitions for this run); then a run of at most a month of hours at a time
# through the dagster CLI, each followed by one dbt build of its days; hours a
# failed hour held back are run again; then the summary.
run: setup
	@PYTHONWARNINGS=ignore $(BIN)/python -m gharchive_assets.cli.make_run

# The production image (deploy/Dockerfile) built with buildah: no Docker daemon,
# but root; and its bill of materials, build/image-sbom.cdx.json (CycloneDX). Its layers stay in buildah's storage, so a rebuild takes seconds
# when only code changed. tests/test_image.py runs it.
image: $(VENV)/.installed
	CYCLONEDX=$(BIN)/cyclonedx-py bash deploy/build_image.sh

# The image is built for the tests where it can be (root, buildah: .ci/run).
IMAGE_FOR_TESTS := $(shell [ "$$(id -u)" = 0 ] && command -v buildah >/dev/null && echo image)

test: setup $(BQ_VENV)/.installed $(CHECKOV_VENV)/.installed hclfmt $(IMAGE_FOR_TESTS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/deptry .
	$(MAKE) --no-print-directory check-workflows
	$(SQLFLUFF) lint models tests/singular
	$(BIN)/pytest

# The tests that start no process, server or emulator (about a minute); a test
# that does and is not marked slow fails here (tests/conftest.py).
test-fast: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -m "not slow" --durations=5

# What CI checks beside the tests (.github/workflows/ci.yml runs these targets).
# The code location loads on both targets, by the dagster CLI and by dg; the gcp
# target needs no account to load (nothing calls Google until a run).
CHECK_HOME := $(abspath .tmp_dagster_home_check)
CHECK_ENV := DAGSTER_HOME=$(CHECK_HOME) GHARCHIVE_GCP_PROJECT=ci-check GHARCHIVE_GCS_BUCKET=ci-check
check-defs: setup
	@mkdir -p $(CHECK_HOME) && touch $(CHECK_HOME)/dagster.yaml
	@for target in local gcp; do \
	  echo "make check-defs: the $$target target"; \
	  $(CHECK_ENV) GHARCHIVE_TARGET=$$target $(BIN)/dagster definitions validate \
	    -m gharchive_assets.definitions && \
	  $(CHECK_ENV) GHARCHIVE_TARGET=$$target $(BIN)/dg check defs || exit 1; \
	done

# Every model and test compiled by dbt-bigquery, with no warehouse and no
# account (compile_as_incremental: is_incremental() without asking BigQuery).
compile-bigquery: setup
	cd dbt_project && GHARCHIVE_TARGET=gcp DBT_LOG_PATH="$$(mktemp -d)" $(BIN)/dbt compile \
	  --target gcp_emulator --no-populate-cache --vars '{"compile_as_incremental": true}' \
	  --target-path target/bigquery-compiled --quiet

# checkov over terraform/ (tests/test_terraform.py also holds every skip to a reason).
check-terraform: $(CHECKOV_VENV)/.installed
	$(CHECKOV_VENV)/bin/checkov -d terraform --framework terraform --skip-download --quiet --compact

# The GitHub workflows: actionlint (syntax, expressions, shellcheck on run:
# steps) and zizmor (security), offline; a finding of medium severity or
# higher fails.
check-workflows: setup
	PATH=$(BIN):$$PATH $(BIN)/actionlint -no-color -shellcheck $(BIN)/shellcheck -pyflakes "" .github/workflows/*.yml
	$(BIN)/zizmor --offline --min-severity=medium --no-progress .github

# First the pool slots of runs whose process is gone (a killed `make run`).
# The backfill daemon checks for a cancel after every run it creates (Dagster's
# default is every 25: close to a minute of runs still created after a cancel).
# gharchive_assets/cli/dev_server.py: .env read, dagster dev started in DAGSTER_HOME
# and stopped whole within seconds of Ctrl-C or SIGTERM.
dev: export DAGSTER_ASSET_BACKFILL_RUN_CHUNK_SIZE ?= 1
dev: setup
	@PYTHONWARNINGS=ignore $(BIN)/python -m gharchive_assets.instance.pool_slots free
	@$(BIN)/python -m gharchive_assets.cli.dev_server --host 127.0.0.1 --port 3000

# The dashboard over the marts (Streamlit) on 127.0.0.1:$(DASHBOARD_PORT), default 3001.
dashboard: setup
	$(BIN)/python -m gharchive_assets.dashboard

lint: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(SQLFLUFF) fix models tests/singular

# Re-pin every dependency from the .in files (needs the registry); the dev
# tools are resolved against the runtime pins (-c requirements.txt).
lock: setup
	$(BIN)/uv pip compile --quiet --python-version 3.11 requirements.in -o requirements.txt
	$(BIN)/uv pip compile --quiet --python-version 3.11 requirements-dev.in -o requirements-dev.txt
	$(BIN)/uv pip compile --quiet --python-version 3.11 requirements-bqemulator.in \
	  -o requirements-bqemulator.txt
	$(BIN)/uv pip compile --quiet --python-version 3.11 requirements-checkov.in \
	  -o requirements-checkov.txt

clean:
	rm -rf $(VENV) $(BQ_VENV) $(CHECKOV_VENV) dbt_project/target dbt_project/logs $(CHECK_HOME) build
