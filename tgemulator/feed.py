"""The bot's updates: numbered as Telegram numbers them, filtered by ``allowed_updates``, and handed
out by long polling (``getUpdates``) or pushed to a webhook.

A newer ``getUpdates`` ends a waiting one with 409, as the real server does; ``getUpdates`` while
a webhook is set answers 409 too. ``allowed_updates`` filters updates created afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from typing import Any

from .models import DEFAULT_UPDATE_TYPES
from .models import ApiError
from .models import EmulatorConfig
from .models import JSONDict
from .models import PendingUpdate
from .webhook import ReplyExecutor
from .webhook import WebhookDelivery


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class UpdateFeed:
    def __init__(self, config: EmulatorConfig, execute_webhook_reply: ReplyExecutor) -> None:
        self.webhook = WebhookDelivery(config, execute_webhook_reply)
        self.pending: deque[PendingUpdate] = deque()
        self.allowed: frozenset[str] = DEFAULT_UPDATE_TYPES
        #: ``allowed_updates`` as the bot last gave it (``getWebhookInfo`` shows it).
        self.allowed_explicit: list[str] | None = None
        self.emitted = 0
        self.filtered = 0
        self.closing = False
        self._last_update_id = config.first_update_id - 1
        self._arrived = asyncio.Event()
        self._poll_generation = 0

    @property
    def pending_count(self) -> int:
        """Updates not yet confirmed (polling) or not yet delivered (webhook)."""
        return self.webhook.pending_count if self.webhook.active else len(self.pending)

    def emit(self, update_type: str, chat_id: int, payload: JSONDict) -> int | None:
        """Queue an update for the bot; ``None`` when its ``allowed_updates`` leave it out."""
        if update_type not in self.allowed:
            self.filtered += 1
            return None
        self._last_update_id += 1
        update_id = self._last_update_id
        update = PendingUpdate(update_id, update_type, chat_id, dumps({"update_id": update_id, update_type: payload}))
        self.emitted += 1
        if self.webhook.active:
            self.webhook.enqueue(update)
        else:
            self.pending.append(update)
            self._arrived.set()
        return update_id

    def set_allowed(self, names: list[str] | None) -> None:
        if names is None:
            return
        self.allowed_explicit = names or None
        self.allowed = frozenset(names) if names else DEFAULT_UPDATE_TYPES

    def close(self) -> None:
        self.closing = True
        self._arrived.set()

    async def get_updates(self, offset: int | None, limit: int, timeout: float) -> bytes:
        """The next updates as a JSON array, waiting up to ``timeout`` seconds for one."""
        if self.webhook.active:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        limit = max(1, min(100, limit))
        pending = self.pending
        if offset is not None:
            if offset < 0:
                while len(pending) > -offset:
                    pending.popleft()
            else:
                while pending and pending[0].update_id < offset:
                    pending.popleft()
        self._poll_generation += 1
        generation = self._poll_generation
        self._arrived.set()  # ends an older waiting request
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            if self.webhook.active:
                raise ApiError(409, "Conflict: webhook was set while getUpdates was waiting")
            if pending:
                return b"[" + b",".join(pending[i].raw for i in range(min(limit, len(pending)))) + b"]"
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closing:
                return b"[]"
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def set_webhook(self, url: str, *, secret_token: str | None, max_connections: int, drop: bool) -> None:
        if self.webhook.active:
            backlog = await self.webhook.stop()
        else:
            backlog = list(self.pending)
            self.pending.clear()
        if drop:
            backlog = []
        self.webhook.start(
            url, secret_token=secret_token, max_connections=max(1, min(100, max_connections)), backlog=backlog
        )
        self._arrived.set()

    async def delete_webhook(self, *, drop: bool) -> None:
        if self.webhook.active:
            self.pending.extend(await self.webhook.stop())
        if drop:
            self.pending.clear()

    def webhook_info(self) -> JSONDict:
        hook = self.webhook
        if not hook.active:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self.pending)}
        info: JSONDict = {
            "url": hook.url,
            "has_custom_certificate": False,
            "pending_update_count": hook.pending_count,
            "ip_address": "127.0.0.1",
            "max_connections": hook.max_connections,
        }
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
        if self.allowed_explicit:
            info["allowed_updates"] = self.allowed_explicit
        return info
