"""Long polling that loses nothing: an update is acknowledged only after it was handled.

aiogram's own polling confirms a batch (by asking for the next offset) before its updates
are handled, so a crash mid-batch loses them. Here a batch is handled — concurrently, one
user's updates in order — and only then is the next batch requested, which is what confirms
it to Telegram. A crash means the batch is delivered again; the update-id record in the
database (roulette.storage.exactly_once) keeps that from doing anything twice. Updates are parsed one
by one (roulette.bot.incoming), so one that cannot be parsed is skipped, not the batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiogram import Bot
from aiogram import Dispatcher
from aiogram.exceptions import ClientDecodeError
from aiogram.exceptions import TelegramConflictError
from aiogram.exceptions import TelegramNetworkError
from aiogram.exceptions import TelegramServerError
from aiogram.types import Update

from roulette.bot.incoming import GetRawUpdates
from roulette.bot.incoming import parse_update
from roulette.bot.incoming import raw_update_id
from roulette.bot.startup import first_line

log = logging.getLogger(__name__)

BATCH_LIMIT = 100
LONG_POLL_SECONDS = 25
MAX_BACKOFF_SECONDS = 10.0


class Poller:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        *,
        allowed_updates: list[str],
        shutdown_timeout: float = 20.0,
        long_poll_seconds: int = LONG_POLL_SECONDS,
    ) -> None:
        self._bot = bot
        self._dispatcher = dispatcher
        self._allowed_updates = allowed_updates
        self._shutdown_timeout = shutdown_timeout
        self._long_poll_seconds = long_poll_seconds
        self.handled = 0

    async def run(self, stop: asyncio.Event) -> None:
        offset: int | None = None
        backoff = 0.5
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                fetch = asyncio.create_task(
                    self._bot(
                        GetRawUpdates(
                            offset=offset,
                            limit=BATCH_LIMIT,
                            timeout=self._long_poll_seconds,
                            allowed_updates=self._allowed_updates,
                        ),
                        request_timeout=self._long_poll_seconds + 10,
                    )
                )
                await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    # Stopping: whatever this call would return is not confirmed, so it is redelivered.
                    fetch.cancel()
                    break
                try:
                    batch: list[Any] = fetch.result()  # JSON objects: see GetRawUpdates
                except (TelegramNetworkError, TelegramServerError, TelegramConflictError, ClientDecodeError) as error:
                    log.warning("getUpdates failed (%s); retrying in %.1fs", first_line(error), backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                    continue
                backoff = 0.5
                ids = [update_id for update_id in map(raw_update_id, batch) if update_id is not None]
                if not ids:
                    continue
                updates = [update for update in (parse_update(raw, self._bot) for raw in batch) if update]
                if not await self._handle_batch(updates, stop):
                    break
                offset = max(ids) + 1
        finally:
            stopping.cancel()
            if offset is not None:
                await self._confirm(offset)

    async def _handle_batch(self, updates: list[Update], stop: asyncio.Event) -> bool:
        """Handle a batch; False if stopping cut it short (then none of it is confirmed)."""
        # Tasks start in update order and PerUserOrder's locks are FIFO, so one user's
        # updates keep their order while different users run in parallel.
        tasks = [asyncio.create_task(self._handle(update)) for update in updates]
        pending: set[asyncio.Task[None]] = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, timeout=1.0)
            if stop.is_set() and pending:
                deadline = time.monotonic() + self._shutdown_timeout
                _done, pending = await asyncio.wait(pending, timeout=max(0.0, deadline - time.monotonic()))
                for task in pending:
                    task.cancel()
                if pending:
                    log.warning("stopped with %d update(s) unfinished; they will be delivered again", len(pending))
                    return False
        return True

    async def _handle(self, update: Update) -> None:
        try:
            await self._dispatcher.feed_update(self._bot, update)
        except Exception:
            log.exception("update %s failed outside its handler", update.update_id)
        self.handled += 1

    async def _confirm(self, offset: int) -> None:
        """Tell Telegram the last batch was handled (the next call would have said so)."""
        try:
            await self._bot(GetRawUpdates(offset=offset, limit=1, timeout=0, allowed_updates=self._allowed_updates))
        except Exception as error:
            log.warning("could not confirm handled updates (%s); they may be delivered again", error)
