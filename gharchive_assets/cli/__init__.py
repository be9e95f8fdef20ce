"""The `make` command line: `make run` (make_run, run_range) and `make dev`
(dev_server). The code location never imports these."""
