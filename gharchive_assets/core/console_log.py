"""``make run``'s console log: one line per message, the time and the step
first, and an error's message once, without its stack trace.

Dagster's default console logger prints each line with the job name and the
whole run id, and a failed step's stack trace twice (with the step's failure,
then with the run's). The trace stays in the run's event log: ``make dev``
shows it. Other runs (the UI, the daemon) keep Dagster's own logger.
"""

from __future__ import annotations

import logging
import re
import sys

import dagster as dg
from dagster._core.events import EVENT_TYPE_TO_DISPLAY_STRING

MAX_ERROR_LINES = 12


class ConciseFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, "dagster_meta", None)
        if not meta:
            return super().format(record)
        moment = self.formatTime(record, "%H:%M:%S")
        where = meta.get("step_key") or "run"
        text = meta.get("orig_message") or record.getMessage()
        event = meta.get("dagster_event")
        if event is not None:
            where += (
                f" {EVENT_TYPE_TO_DISPLAY_STRING.get(event.event_type, event.event_type_value)}"
            )
        error = getattr(getattr(event, "event_specific_data", None), "error", None)
        # The run's failure repeats the failed step's error: say only that it failed.
        if error is not None and event.event_type != dg.DagsterEventType.RUN_FAILURE:
            lines = plain_error(error.message).splitlines()
            text += "\n  " + "\n  ".join(lines[:MAX_ERROR_LINES])
            if len(lines) > MAX_ERROR_LINES:
                text += "\n  ..."
        return f"{moment} {record.levelname:<7} {where}: {text}"


def plain_error(message: str) -> str:
    """An error's message without its exception's module path."""
    return re.sub(r"^(?:\w+\.)+(\w+: )", r"\1", message.strip())


@dg.logger(
    config_schema={"log_level": dg.Field(str, is_required=False, default_value="INFO")},
    description="One line per message, errors without their stack trace (make run).",
)
def concise_console(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.Logger("gharchive", level=init_context.logger_config["log_level"])
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ConciseFormatter())
    logger.addHandler(handler)
    return logger
