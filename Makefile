# make run | make test | make dev — each sets up .venv first (pinned versions).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
START ?= 2015-01-01-00:00
END ?= 2015-01-01-02:00
# A persistent local Dagster instance shared by `make run` and `make dev`,
# unless DAGSTER_HOME is set.
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# Let Python cache bytecode in .venv: without it every dagster or dbt process
# recompiles its imports (a Dagster CLI start takes 11 s instead of 5 s).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup run test dev dashboard lint format lock clean hclfmt

# The runtime pins (requirements.txt) and the test and development tools
# (requirements-dev.txt), then the project itself with its C line scanner.
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml setup.py gharchive_assets/clean/_linescan.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.txt requirements-dev.txt
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

setup: $(VENV)/.installed
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || cp deploy/dagster.local.yaml $(DAGSTER_HOME)/dagster.yaml
	@$(BIN)/python -m gharchive_assets.local_instance $(DAGSTER_HOME)

# Dagster's beta notices and DEBUG events would bury the run's own log lines.
RUN_CONFIG := {"loggers": {"console": {"config": {"log_level": "INFO"}}}}

# sqlfluff renders the models through dbt (local target, a scratch warehouse).
SQLFLUFF = cd dbt_project && GHARCHIVE_DATA_DIR="$$(mktemp -d)" $(BIN)/sqlfluff

# START..END are checked first (keys, order, an END that has ended), as is
# GHARCHIVE_START; the partitions must reach back to START, so a START before
# GHARCHIVE_START (default 2015-01-01-00:00) widens them for this run. When
# some hours fail, the hours they held back (a ranged step materialises all its
# hours or none) are run again, and the summary covers every run.
MATERIALIZE = $(BIN)/dagster asset materialize -m gharchive_assets.definitions \
  --select 'not key:daily_report' --config-json '$(RUN_CONFIG)'

# Beside the run, pool_slots frees the pool slots of runs whose process is gone
# (a killed `make run`) and says every 30 s what the run waits for, and for whom.
run: setup
	@first="$$($(BIN)/python -m gharchive_assets.run_range '$(START)' '$(END)')" || exit 2; \
	status=0; \
	export GHARCHIVE_DBT_LOG_DIR="$${GHARCHIVE_DBT_LOG_DIR:-$${GHARCHIVE_DATA_DIR:-data}/logs}"; \
	since="$$(date +%s.%N)"; \
	PYTHONWARNINGS=ignore $(BIN)/python -m gharchive_assets.pool_slots watch & watcher=$$!; \
	export GHARCHIVE_START="$$first" GHARCHIVE_HOURS_PER_RUN= PYTHONWARNINGS=ignore; \
	$(MATERIALIZE) --partition-range '$(START)...$(END)' || status=$$?; \
	if [ $$status -ne 0 ]; then \
	  for range in $$($(BIN)/python -m gharchive_assets.reporting.held_back --since $$since '$(START)' '$(END)'); do \
	    echo "make run: hours $$range did not fail but a failed hour held them back: running them again"; \
	    $(MATERIALIZE) --partition-range "$$range" || true; \
	  done; \
	fi; \
	kill $$watcher 2>/dev/null; wait $$watcher 2>/dev/null; \
	echo; $(BIN)/python -m gharchive_assets.reporting.run_summary \
	  --start '$(START)' --end '$(END)' --run-status $$status --since $$since; \
	exit $$status

test: setup $(BQ_VENV)/.installed $(CHECKOV_VENV)/.installed hclfmt
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(SQLFLUFF) lint models tests/singular
	$(BIN)/pytest

# First the pool slots of runs whose process is gone (a killed `make run`).
dev: setup
	@PYTHONWARNINGS=ignore $(BIN)/python -m gharchive_assets.pool_slots free
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

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
	rm -rf $(VENV) $(BQ_VENV) $(CHECKOV_VENV) dbt_project/target dbt_project/logs
