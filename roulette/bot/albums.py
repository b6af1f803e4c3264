"""Albums: Telegram delivers one as separate messages in quick succession; the partner gets it whole."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from aiogram.types import Message, MessageEntity

from roulette.anonymity import AlbumItem
from roulette.bot.copies import album_item_of, send_album
from roulette.bot.delivery import Courier
from roulette.settings import Settings
from roulette.usecases import UseCases
from roulette.usecases.chat import Relay

log = logging.getLogger(__name__)

# An album is complete once no part of it arrived for this long.
ALBUM_SETTLE_SECONDS = 0.4


@dataclass(slots=True)
class _Album:
    sender_id: int
    partner_id: int
    media_group_id: str
    # (stored message id, source message id, the parts to send it again)
    items: list[tuple[int, int, AlbumItem[MessageEntity] | None]] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


class Albums:
    """Collects an album's messages, then sends them on together as one album.

    An album is flushed after a short quiet period, or at once when the same user sends
    anything else, so the user's messages still reach the partner in the order sent.
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
        sender_id, source_message_id = message.chat.id, message.message_id
        album = self._pending.get(sender_id)
        if album is not None and (album.media_group_id != media_group_id or album.partner_id != relay.partner_id):
            await self.settle(sender_id, courier, usecases, settings)
            album = None
        if album is None:
            album = _Album(sender_id, relay.partner_id, media_group_id)
            self._pending[sender_id] = album
        if any(item[:2] == (relay.message_id, source_message_id) for item in album.items):
            return  # the same update delivered again before the album went out
        album.items.append((relay.message_id, source_message_id, album_item_of(message)))
        if album.timer is not None:
            album.timer.cancel()
        loop = asyncio.get_running_loop()
        album.timer = loop.call_later(ALBUM_SETTLE_SECONDS, self._start_flush, sender_id, courier, usecases, settings)

    def _start_flush(self, sender_id: int, courier: Courier, usecases: UseCases, settings: Settings) -> None:
        album = self._pending.pop(sender_id, None)
        if album is None:
            return
        task = asyncio.create_task(self._copy(album, courier, usecases, settings))
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

    async def _copy(self, album: _Album, courier: Courier, usecases: UseCases, settings: Settings) -> None:
        items = sorted(album.items, key=lambda item: item[1])
        try:
            copy_ids = await send_album(
                album.sender_id,
                album.partner_id,
                [source for _stored, source, _parts in items],
                [parts for _stored, _source, parts in items],
                courier,
                settings.protect_content,
            )
        except Exception:
            log.exception("album copy failed")
            return
        if copy_ids is None:
            return
        await asyncio.gather(
            *(
                usecases.record_relayed(stored_id, copy_id)
                for (stored_id, _source, _parts), copy_id in zip(items, copy_ids, strict=False)
            )
        )
