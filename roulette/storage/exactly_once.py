"""Exactly-once effects per Telegram update, in one place.

Telegram may deliver an update more than once (a webhook answer lost, polling after a crash). The
update's id is committed in the same transaction as its first effect (`processed_updates`): a second
delivery fails at that commit with `DuplicateUpdate`, its transaction is rolled back, and `handle_once`
drops the update quietly, before anything was sent. A unit of work that ends with nothing to commit
(only an answer to give) asks whether the update was handled before, so a redelivery stays silent too.

The bot wraps each update in `handle_once`; the Unit of Work and the one statement that records the
update itself (the `start_search` function) call the rest. Use cases never see any of it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from typing import TypeVar

from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from roulette.storage.queries import sql

_RECORD_UPDATE = sql("record_update")
_WAS_UPDATE_HANDLED = sql("was_update_handled")

log = logging.getLogger(__name__)

T = TypeVar("T")
D = TypeVar("D")


class DuplicateUpdate(Exception):
    """This update's effects were committed before: it was delivered twice."""


@dataclass
class _UpdateMark:
    update_id: int
    recorded: bool = False


# The update being handled in this task (and the tasks it starts).
_current: ContextVar[_UpdateMark | None] = ContextVar("current_update", default=None)


async def handle_once(update_id: int, handle: Callable[[], Awaitable[T]], on_duplicate: D) -> T | D:
    """Run `handle` for one update; `on_duplicate` if its effects were committed before."""
    token = _current.set(_UpdateMark(update_id))
    try:
        return await handle()
    except DuplicateUpdate:
        log.info("update %s was handled before; dropped", update_id)
        return on_duplicate
    finally:
        _current.reset(token)


def current_update_id() -> int | None:
    """The id of the update being handled in this task, if any (for log lines)."""
    mark = _current.get()
    return mark.update_id if mark is not None else None


async def commit_recording_update(connection: PoolConnectionProxy[Any], transaction: Transaction) -> None:
    """Commit, recording the update being handled with its first committed effect."""
    mark = _current.get()
    record = mark is not None and not mark.recorded
    if mark is not None and record:
        if await connection.fetchval(_RECORD_UPDATE, mark.update_id) is None:
            raise DuplicateUpdate(mark.update_id)
    await transaction.commit()
    if mark is not None and record:
        mark.recorded = True


async def refuse_if_handled_before(connection: PoolConnectionProxy[Any]) -> None:
    """After a unit of work that committed nothing: was the update answered before? Then stay silent."""
    mark = _current.get()
    if mark is not None and not mark.recorded and await connection.fetchval(_WAS_UPDATE_HANDLED, mark.update_id):
        raise DuplicateUpdate(mark.update_id)


@asynccontextmanager
async def recorded_by_statement() -> AsyncIterator[int | None]:
    """For one statement that records the update itself, atomically with its effect.

    Yields the id to record (None: no update, or already recorded). The statement raises
    `DuplicateUpdate` if it finds the id recorded before; otherwise the update counts as recorded
    once the block ends.
    """
    mark = _current.get()
    update_id = mark.update_id if mark is not None and not mark.recorded else None
    yield update_id
    if mark is not None and update_id is not None:
        mark.recorded = True
