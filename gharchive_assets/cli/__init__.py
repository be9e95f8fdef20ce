"""The `make` command line: `make run` (make_run, run_range), `make dev`
(dev_server), the settings files they read (local_env) and their console log.
The code location never imports these."""
