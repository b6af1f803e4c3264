"""A local Telegram Bot API server for tests, benchmarks and the browser sandbox.

``BotAPIEmulator`` is an aiohttp application that speaks the Bot API over HTTP at
``/bot<token>/<method>`` (JSON, urlencoded and multipart bodies; method names are
case-insensitive) and answers in Telegram's shapes, so a real ``aiogram.Bot`` can talk to it::

    emu = BotAPIEmulator(token="123456:TEST")
    await emu.start()                      # 127.0.0.1, free port
    bot = Bot(emu.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
    alice = emu.user(first_name="Alice")
    await alice.send_command("/start")     # -> "message" update for the bot
    msg = await alice.wait_for(lambda m: "Hello" in m.body)

State model
    One bot (id = token prefix). Every simulated user (:mod:`tgemulator.users`) has a private
    chat whose id is the user id; a chat has one message-id counter shared by both directions.
    Every message is stored (``EmuMessage``) with its content, so copies, edits and replies work
    and tests can inspect them. By default a user must have sent something before the bot may
    write to them (403 "bot can't initiate conversation with a user"), see ``EmulatorConfig``.

Methods
    One module per family in :mod:`tgemulator.methods`; their parameters are pydantic models
    (:mod:`tgemulator.params`). Text goes through the server-side pipeline of
    :mod:`tgemulator.text` (HTML, automatic entities, UTF-16 offsets, length limits).

Updates
    :mod:`tgemulator.feed` (long polling, ``allowed_updates``) and :mod:`tgemulator.webhook`
    (ordering, concurrency, retries and ``set_webhook_targets``).

Faults
    ``fail_next(method, status, retry_after=, count=, chat_id=, apply=)`` makes the next
    matching calls fail (429 carries ``retry_after``; ``status=0`` drops the connection;
    ``apply=True`` performs the call and still answers with the error, like a lost response).
    ``set_delay(method, seconds)`` slows responses. ``calls``/``errors`` count requests per
    method, ``sent_log`` records every bot-sent message with ``time.perf_counter()`` and
    ``on_bot_message(callback)`` notifies synchronously when one is stored.

The user-side HTTP API that the sandbox page and other processes use is :mod:`tgemulator.user_api`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from collections import Counter
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from .faults import Fault
from .faults import Faults
from .feed import UpdateFeed
from .feed import dumps
from .files import FileRegistry
from .methods import METHODS
from .methods import Files
from .methods import RawResult
from .models import ApiError
from .models import EmulatorConfig
from .models import EmuMessage
from .models import JSONDict
from .models import SentRecord
from .models import bad_request
from .params import api_error
from .user_api import user_api_errors
from .user_api import user_api_routes
from .users import SimUser
from .webhook import WebhookDelivery


def _error_response(error: ApiError) -> web.Response:
    return web.Response(body=dumps(error.payload()), status=error.status, content_type="application/json")


#: The emulator an application serves (the user API's handlers find it there).
EMULATOR: web.AppKey[BotAPIEmulator] = web.AppKey("emulator")


@dataclass(slots=True)
class CallbackQueryState:
    user: SimUser
    answered: bool = False


class BotAPIEmulator:
    """In-process Telegram Bot API server (see the module docstring)."""

    def __init__(
        self,
        token: str | None = None,
        *,
        bot_username: str | None = None,
        bot_first_name: str | None = None,
        config: EmulatorConfig | None = None,
    ) -> None:
        self.config = dataclasses.replace(config) if config is not None else EmulatorConfig()
        if token is not None:
            self.config.token = token
        if bot_username is not None:
            self.config.bot_username = bot_username
        if bot_first_name is not None:
            self.config.bot_first_name = bot_first_name
        self.token = self.config.token
        prefix = self.token.split(":", 1)[0]
        if not prefix.isdigit():
            raise ValueError("token must look like '<bot id>:<secret>'")
        self.bot_id = int(prefix)
        self.bot_user: JSONDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.config.bot_first_name,
            "username": self.config.bot_username,
        }
        self.rng = random.Random(self.config.seed)
        self.files = FileRegistry(self.rng)
        self.feed = UpdateFeed(self.config, self._execute_webhook_reply)
        self.faults = Faults()
        self.callback_queries: dict[str, CallbackQueryState] = {}
        #: Commands the bot set, by (scope, language code); see ``methods.interaction``.
        self.bot_commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.bot_message_hooks: list[Callable[[EmuMessage], None]] = []
        self.host = "127.0.0.1"
        self.port = 0
        #: Requests per Bot API method (canonical names; unknown names as sent).
        self.calls: Counter[str] = Counter()
        #: Error answers per method (API errors and injected faults).
        self.errors: Counter[str] = Counter()
        #: Every message stored on behalf of the bot, in order.
        self.sent_log: list[SentRecord] = []
        self._users: dict[int, SimUser] = {}
        self._next_user_id = self.config.first_user_id
        self._counters: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        """``http://host:port`` (give it to ``TelegramAPIServer.from_base``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Base URL of this bot's methods: ``{base_url}/bot{token}``."""
        return f"{self.base_url}/bot{self.token}"

    @property
    def closing(self) -> bool:
        return self.feed.closing

    def make_app(self) -> web.Application:
        """The aiohttp application (to embed it in another server)."""
        app = web.Application(client_max_size=self.config.client_max_size, middlewares=[user_api_errors])
        app[EMULATOR] = self
        app.router.add_route("*", r"/bot{token:[^/]+}/{method:[^/]*}", self._handle_api)
        app.router.add_routes(user_api_routes)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 = a free port); returns ``base_url``."""
        if self._runner is not None:
            return self.base_url
        self.feed.closing = False
        runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self.host = host
        self.port = int(runner.addresses[0][1])
        return self.base_url

    async def stop(self) -> None:
        """Stop serving, wake every waiter and stop webhook delivery."""
        self.feed.close()
        for user in self._users.values():
            user.wake_waiters()
        await self.feed.webhook.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> BotAPIEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- users
    def user(
        self,
        first_name: str = "User",
        *,
        id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        is_premium: bool = False,
    ) -> SimUser:
        """Create a simulated user (fresh id unless ``id``; an existing id returns that user)."""
        if id is not None and id in self._users:
            return self._users[id]
        if id is None:
            while self._next_user_id in self._users:
                self._next_user_id += 1
            id = self._next_user_id
            self._next_user_id += 1
        user = SimUser(
            self,
            id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_premium=is_premium,
        )
        self._users[id] = user
        return user

    def get_user(self, user_id: int) -> SimUser:
        return self._users[user_id]

    def find_user(self, user_id: int) -> SimUser | None:
        return self._users.get(user_id)

    @property
    def users(self) -> list[SimUser]:
        return list(self._users.values())

    # ------------------------------------------------------- faults, hooks
    def fail_next(self, method: str | None = None, status: int = 429, **options: Any) -> Fault:
        """Fail the next calls of ``method``: see :meth:`tgemulator.faults.Faults.fail_next`."""
        return self.faults.fail_next(method, status, **options)

    def set_delay(self, method: str | None = None, seconds: float = 0.2) -> None:
        """Delay answers of ``method`` (every method if ``None``); 0 removes the delay."""
        self.faults.set_delay(method, seconds)

    def clear_faults(self) -> None:
        self.faults.clear()

    def on_bot_message(self, callback: Callable[[EmuMessage], None]) -> Callable[[], None]:
        """Call ``callback(message)`` synchronously whenever the bot's message is stored.

        Returns a function that unsubscribes.
        """
        self.bot_message_hooks.append(callback)

        def unsubscribe() -> None:
            if callback in self.bot_message_hooks:
                self.bot_message_hooks.remove(callback)

        return unsubscribe

    # -------------------------------------------------------------- updates
    @property
    def webhook(self) -> WebhookDelivery:
        return self.feed.webhook

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed (polling) or not yet delivered (webhook)."""
        return self.feed.pending_count

    @property
    def updates_emitted(self) -> int:
        return self.feed.emitted

    @property
    def updates_filtered(self) -> int:
        return self.feed.filtered

    def emit(self, update_type: str, chat_id: int, payload: JSONDict) -> int | None:
        return self.feed.emit(update_type, chat_id, payload)

    def set_webhook_targets(self, urls: Sequence[str] | None, *, mode: str = "hash") -> None:
        """Deliver webhook updates to these URLs instead of the one set by the bot.

        ``mode="hash"``: chat ``c`` always goes to ``urls[abs(c) % len(urls)]``;
        ``mode="round_robin"``: rotate per update. ``None``/empty restores the
        bot's URL. Applies while a webhook is set (``setWebhook`` still decides
        whether delivery happens and with which secret).
        """
        if mode not in ("hash", "round_robin"):
            raise ValueError("mode must be 'hash' or 'round_robin'")
        self.feed.webhook.targets = list(urls or [])
        self.feed.webhook.mode = mode

    # ------------------------------------------------------------ new ids
    def _next(self, counter: str) -> int:
        self._counters[counter] += 1
        return self._counters[counter]

    def new_callback_query(self, user: SimUser) -> str:
        query_id = str(4_000_000_000_000_000 + user.id % 1_000_000 * 1_000_000 + self._next("callback"))
        self.callback_queries[query_id] = CallbackQueryState(user)
        return query_id

    def new_poll_id(self) -> str:
        return str(5_000_000_000_000_000_000 + self._next("poll"))

    def new_media_group_id(self) -> str:
        return str(13_000_000_000_000_000 + self._next("media_group"))

    # --------------------------------------------------------- HTTP handler
    @staticmethod
    async def _read_params(request: web.Request) -> tuple[dict[str, Any], Files]:
        data: dict[str, Any] = dict(request.query) if request.query_string else {}
        files: Files = {}
        if request.method != "POST" or not request.body_exists:
            return data, files
        if request.content_type == "application/json":
            body = await request.read()
            if body:
                try:
                    decoded = json.loads(body)
                except ValueError:
                    raise bad_request("can't parse JSON request body") from None
                if not isinstance(decoded, dict):
                    raise bad_request("JSON object expected")
                data.update(decoded)
        elif request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read())
                elif isinstance(value, bytes | bytearray):
                    data[key] = bytes(value).decode("utf-8")
                else:
                    data[key] = value
        else:
            await request.read()
        return data, files

    async def _call(self, name: str, data: dict[str, Any], files: Files) -> Any:
        method = METHODS[name.lower()]
        try:
            parsed = method.params.model_validate(data)
        except ValidationError as exc:
            raise api_error(exc) from None
        return await method.handler(self, parsed, files)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        sent_name = request.match_info["method"]
        method = METHODS.get(sent_name.lower())
        name = method.name if method is not None else sent_name
        self.calls[name] += 1
        try:
            if method is None:
                raise ApiError(404, "Not Found: method not found")
            data, files = await self._read_params(request)
            delay = self.faults.delay(name)
            if delay > 0:
                await asyncio.sleep(delay)
            fault = self._take_fault(name, data)
            if fault is not None and fault.status == 0:
                self.errors[name] += 1
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError
            if fault is not None and not fault.apply:
                raise fault.error()
            result = await self._call(name, data, files)
            if fault is not None:
                raise fault.error()
        except ApiError as exc:
            self.errors[name] += 1
            return _error_response(exc)
        if isinstance(result, RawResult):
            body = b'{"ok":true,"result":' + result.data + b"}"
        else:
            body = dumps({"ok": True, "result": result})
        return web.Response(body=body, content_type="application/json")

    def _take_fault(self, method: str, data: dict[str, Any]) -> Fault | None:
        if not self.faults:
            return None
        try:
            chat_id: int | None = int(data["chat_id"])
        except (KeyError, TypeError, ValueError):
            chat_id = None
        return self.faults.take(method, chat_id)

    async def _execute_webhook_reply(self, name: str, data: dict[str, Any], files: Files) -> None:
        """A Bot API call the bot returned in its webhook answer, run as Telegram runs it."""
        method = METHODS.get(name.lower())
        if method is None:
            raise ApiError(404, "Not Found: method not found")
        self.calls[method.name] += 1
        try:
            await self._call(method.name, data, files)
        except ApiError:
            self.errors[method.name] += 1
            raise
