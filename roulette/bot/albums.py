"""Albums: Telegram delivers one as separate messages in quick succession; the partner gets it whole."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from dataclasses import field

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message
from aiogram.types import MessageEntity

from roulette.anonymity import AlbumItem
from roulette.bot.copies import album_item_of
from roulette.bot.copies import send_album
from roulette.bot.delivery import Courier
from roulette.settings import Settings
from roulette.storage.outbox import AlbumFlush
from roulette.usecases import UseCases
from roulette.usecases.chat import Relay

log = logging.getLogger(__name__)

# An album is complete once no part of it arrived for this long.
ALBUM_SETTLE_SECONDS = 0.4

Parts = dict[int, AlbumItem[MessageEntity] | None]  # source message id → the parts to send it again


@dataclass(slots=True)
class _Album:
    sender_id: int
    chat_id: int
    media_group_id: str
    parts: Parts = field(default_factory=dict)
    timer: asyncio.TimerHandle | None = None


class Albums:
    """Waits for an album's messages, then sends them on together as one album.

    An album is flushed after a short quiet period, or at once when the same user sends
    anything else, so the user's messages still reach the partner in the order sent.

    Each item is stored, and its album's flush marked pending in the outbox, before its update is
    acknowledged; the items to send are read back from the database. So a process killed inside
    the quiet period loses nothing: any process flushes the album once the outbox lease has
    passed (without the captions then: their entities were not kept, so they cannot be checked).
    A flush sends only into the chat the album was sent in: if that chat has ended meanwhile, the
    album goes nowhere (the receiver may already be talking to someone else).
    """

    def __init__(self) -> None:
        self._pending: dict[int, _Album] = {}
        self._flushing: dict[int, asyncio.Task[None]] = {}

    def __len__(self) -> int:
        return len(self._pending)

    async def add(
        self,
        relay: Relay,
        message: Message,
        media_group_id: str,
        courier: Courier,
        usecases: UseCases,
        settings: Settings,
    ) -> None:
        sender_id = message.chat.id
        album = self._pending.get(sender_id)
        if album is not None and (album.media_group_id != media_group_id or album.chat_id != relay.chat_id):
            await self.settle(sender_id, courier, usecases, settings)
            album = None
        if album is None:
            album = _Album(sender_id, relay.chat_id, media_group_id)
            self._pending[sender_id] = album
        album.parts[message.message_id] = album_item_of(message)
        if album.timer is not None:
            album.timer.cancel()
        loop = asyncio.get_running_loop()
        album.timer = loop.call_later(ALBUM_SETTLE_SECONDS, self._start_flush, sender_id, courier, usecases, settings)

    def _start_flush(self, sender_id: int, courier: Courier, usecases: UseCases, settings: Settings) -> None:
        album = self._pending.pop(sender_id, None)
        if album is None:
            return
        task = asyncio.create_task(self._flush(album, courier, usecases, settings))
        self._flushing[sender_id] = task
        task.add_done_callback(lambda _task: self._flushing.pop(sender_id, None))

    async def settle(self, sender_id: int, courier: Courier, usecases: UseCases, settings: Settings) -> None:
        """Deliver the user's pending album (if any) before anything they send next."""
        album = self._pending.get(sender_id)
        if album is not None:
            if album.timer is not None:
                album.timer.cancel()
            self._start_flush(sender_id, courier, usecases, settings)
        task = self._flushing.get(sender_id)
        if task is not None:
            await asyncio.shield(task)

    async def settle_all(self, courier: Courier, usecases: UseCases, settings: Settings) -> None:
        for sender_id in list(self._pending):
            await self.settle(sender_id, courier, usecases, settings)
        if self._flushing:
            await asyncio.gather(*self._flushing.values(), return_exceptions=True)

    async def _flush(self, album: _Album, courier: Courier, usecases: UseCases, settings: Settings) -> None:
        try:
            flush = await usecases.claim_album(album.chat_id, album.sender_id, album.media_group_id)
        except Exception:
            log.exception("album flush failed; it is flushed again once the outbox lease has passed")
            return
        if flush is not None:  # None: another process (or an earlier flush) has it
            await self.send(flush, album.parts, courier, usecases, settings)

    @staticmethod
    async def send(flush: AlbumFlush, parts: Parts, courier: Courier, usecases: UseCases, settings: Settings) -> None:
        """Send a claimed album's items (none if its chat has ended), then forget the flush. `parts`
        holds what this process saw of the items; an item without them is sent without its caption."""
        try:
            if flush.items:
                copy_ids = await send_album(
                    flush.sender_id,
                    flush.recipient_id,
                    [source for _stored, source in flush.items],
                    [parts.get(source) for _stored, source in flush.items],
                    courier,
                    settings.protect_content,
                )
                await asyncio.gather(
                    *(
                        usecases.record_relayed(stored_id, copy_id)
                        for (stored_id, _source), copy_id in zip(flush.items, copy_ids or (), strict=False)
                    )
                )
        except TelegramBadRequest as error:
            log.warning("album refused by Telegram: %s", error.message)
        except Exception:
            # left claimed: sent again once the outbox lease has passed
            log.exception("album copy failed; it is sent again once the outbox lease has passed")
            return
        await usecases.finish_album_flush(flush)
