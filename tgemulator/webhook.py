"""Webhook delivery for the Bot API emulator.

Semantics (mirroring the real server closely enough for tests and load runs):

* updates of one chat are delivered strictly one at a time and in order: the
  next one is posted only after the receiver answered the previous one;
* different chats are delivered concurrently by ``max_connections`` workers;
* a non-2xx answer or a connection error is retried with exponential backoff
  (``EmulatorConfig.webhook_retry_*``); after ``webhook_max_attempts`` the
  update is dropped and counted in ``dropped``; the last failure is reported
  by ``getWebhookInfo`` (``last_error_date``/``last_error_message``);
* a receiver may answer with a Bot API call in the body (JSON or multipart
  with a ``method`` field), which is executed like the real server does;
* ``targets`` (see ``BotAPIEmulator.set_webhook_targets``) spreads delivery
  over several URLs: ``"hash"`` mode sends chat ``c`` to
  ``targets[abs(c) % len(targets)]`` (a chat always lands on one worker),
  ``"round_robin"`` rotates per update (per-chat ordering is still kept).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

import aiohttp

from .models import EmulatorConfig
from .models import PendingUpdate

#: Runs a Bot API method returned in a webhook response body.
ReplyExecutor = Callable[[str, dict[str, Any], dict[str, tuple[str, bytes]]], Awaitable[None]]


class WebhookDelivery:
    """Per-chat ordered, globally concurrent delivery of updates to URLs."""

    def __init__(self, config: EmulatorConfig, execute_reply: ReplyExecutor) -> None:
        self._config = config
        self._execute_reply = execute_reply
        self.url = ""
        self.secret_token: str | None = None
        self.max_connections = 40
        self.targets: list[str] = []
        self.mode = "hash"
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.delivered = 0
        self.failed_attempts = 0
        self.dropped = 0
        self.reply_errors: list[str] = []
        self._queues: dict[int, deque[PendingUpdate]] = {}
        self._ready: asyncio.Queue[int] = asyncio.Queue()
        self._scheduled: set[int] = set()
        self._workers: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None
        self._pending = 0
        self._rr = 0

    @property
    def active(self) -> bool:
        return bool(self.url)

    @property
    def pending_count(self) -> int:
        return self._pending

    def start(
        self,
        url: str,
        *,
        secret_token: str | None,
        max_connections: int,
        backlog: list[PendingUpdate],
    ) -> None:
        self.url = url
        self.secret_token = secret_token
        self.max_connections = max_connections
        self.last_error_date = None
        self.last_error_message = None
        self._ready = asyncio.Queue()
        self._workers = [
            asyncio.create_task(self._worker(), name=f"emu-webhook-{index}") for index in range(max_connections)
        ]
        for update in backlog:
            self.enqueue(update)

    async def stop(self) -> list[PendingUpdate]:
        """Stop delivery; returns undelivered updates in update_id order."""
        workers, self._workers = self._workers, []
        for task in workers:
            task.cancel()
        for task in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        leftover = sorted(
            (update for queue in self._queues.values() for update in queue),
            key=lambda update: update.update_id,
        )
        self._queues.clear()
        self._scheduled.clear()
        self._pending = 0
        self.url = ""
        self.secret_token = None
        return leftover

    async def close(self) -> None:
        await self.stop()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def enqueue(self, update: PendingUpdate) -> None:
        queue = self._queues.get(update.chat_id)
        if queue is None:
            queue = self._queues[update.chat_id] = deque()
        queue.append(update)
        self._pending += 1
        if update.chat_id not in self._scheduled:
            self._scheduled.add(update.chat_id)
            self._ready.put_nowait(update.chat_id)

    def _target(self, update: PendingUpdate) -> str:
        if not self.targets:
            return self.url
        if self.mode == "round_robin":
            self._rr += 1
            return self.targets[self._rr % len(self.targets)]
        return self.targets[abs(update.chat_id) % len(self.targets)]

    async def _worker(self) -> None:
        while True:
            chat_id = await self._ready.get()
            queue = self._queues.get(chat_id)
            if not queue:
                self._scheduled.discard(chat_id)
                self._queues.pop(chat_id, None)
                continue
            await self._deliver(queue[0])
            queue.popleft()
            self._pending -= 1
            if queue:
                self._ready.put_nowait(chat_id)
            else:
                self._scheduled.discard(chat_id)
                del self._queues[chat_id]

    async def _deliver(self, update: PendingUpdate) -> None:
        delay = self._config.webhook_retry_delay
        for attempt in range(1, self._config.webhook_max_attempts + 1):
            error = await self._post(update)
            if error is None:
                self.delivered += 1
                return
            self.failed_attempts += 1
            self.last_error_date = int(time.time())
            self.last_error_message = error
            if attempt < self._config.webhook_max_attempts:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._config.webhook_retry_max_delay)
        self.dropped += 1

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=self._config.webhook_timeout),
            )
        return self._session

    async def _post(self, update: PendingUpdate) -> str | None:
        headers = {"Content-Type": "application/json"}
        if self.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.secret_token
        try:
            async with self._client().post(self._target(update), data=update.raw, headers=headers) as response:
                if not 200 <= response.status < 300:
                    await response.read()
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
                await self._handle_reply(response)
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError as exc:
            return f"Connection refused: {exc.os_error}" if exc.os_error else "Connection refused"
        except aiohttp.ClientError as exc:
            return f"Connection error: {type(exc).__name__}"
        except (OSError, ValueError) as exc:
            return f"Delivery failed: {exc}"
        return None

    async def _handle_reply(self, response: aiohttp.ClientResponse) -> None:
        content_type = response.content_type
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        if content_type == "application/json":
            body = await response.read()
            if not body:
                return
            try:
                decoded = json.loads(body)
            except ValueError:
                return
            if isinstance(decoded, dict):
                params = decoded
        elif content_type.startswith("multipart/"):
            reader = aiohttp.MultipartReader(response.headers, response.content)
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                data = await part.read()
                if part.filename:
                    files[part.name] = (part.filename, bytes(data))
                else:
                    params[part.name] = bytes(data).decode("utf-8")
        else:
            await response.read()
            return
        method = params.pop("method", None)
        if not isinstance(method, str) or not method:
            return
        try:
            await self._execute_reply(method, params, files)
        except Exception as exc:
            self.reply_errors.append(f"{method}: {exc}")
