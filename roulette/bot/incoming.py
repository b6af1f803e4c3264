"""Updates as Telegram sends them, parsed one at a time so that one bad update stops nothing.

Telegram adds fields and kinds of update faster than libraries follow, and a malformed update
can arrive too. aiogram parses a whole getUpdates batch (or a webhook body) in one go, so one
update it cannot parse fails them all: the batch is never confirmed and is fetched again,
forever. Here each update is parsed on its own; one that cannot be parsed is logged (its id and
why, never its content) and confirmed, since no retry can fix it.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.methods import GetUpdates
from aiogram.types import Update
from pydantic import ValidationError

from roulette.bot.metrics import count_unparseable_update

log = logging.getLogger(__name__)


class GetRawUpdates(GetUpdates):
    """getUpdates whose result is left as JSON objects, for `parse_update` to take one by one.

    Still a GetUpdates to whatever tells methods apart (the request retries leave it to the
    poller's own back-off). Its result is typed as aiogram's; it holds dicts.
    """

    __returning__ = list[dict[str, Any]]


def raw_update_id(raw: object) -> int | None:
    """The update's id, if it has a usable one."""
    if isinstance(raw, dict):
        update_id = raw.get("update_id")
        if isinstance(update_id, int) and not isinstance(update_id, bool):
            return update_id
    return None


def parse_update(raw: object, bot: Bot) -> Update | None:
    """The update, or None (logged once, as one line) if it cannot be parsed."""
    try:
        return Update.model_validate(raw, context={"bot": bot})
    except ValidationError as error:
        count_unparseable_update()
        log.warning(
            "update %s cannot be parsed and is skipped: %s",
            raw_update_id(raw) if raw_update_id(raw) is not None else "without an id",
            _reason(error),
        )
        return None


def _reason(error: ValidationError) -> str:
    """Where and what, without the input: a message's text must not reach the logs."""
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"
