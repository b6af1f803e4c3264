"""A local Telegram Bot API server for tests, benchmarks and the browser sandbox.

``BotAPIEmulator`` is an aiohttp application that speaks the Bot API over HTTP
at ``/bot<token>/<method>`` (JSON, urlencoded and multipart bodies; method
names are case-insensitive) and answers in Telegram's shapes, so a real
``aiogram.Bot`` can talk to it::

    emu = BotAPIEmulator(token="123456:TEST")
    await emu.start()                      # 127.0.0.1, free port
    bot = Bot(emu.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
    alice = emu.user(first_name="Alice")
    await alice.send_command("/start")     # -> "message" update for the bot
    msg = await alice.wait_for(lambda m: "Hello" in m.body)

State model
    One bot (id = token prefix).  Every simulated user has a private chat whose
    id is the user id; a chat has one message-id counter shared by both
    directions.  Every message is stored (``EmuMessage``) with its content, so
    copies, edits and replies work and tests can inspect them.  By default a
    user must have sent something before the bot may write to them (403
    "bot can't initiate conversation with a user"), see ``EmulatorConfig``.

Implemented Bot API methods
    getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo, sendMessage,
    forwardMessage, copyMessage, copyMessages, sendPhoto, sendVideo,
    sendAnimation, sendVoice, sendVideoNote, sendAudio, sendDocument,
    sendSticker, sendDice, sendPoll, sendContact, sendLocation, sendMediaGroup,
    editMessageText, editMessageCaption, editMessageReplyMarkup, deleteMessage,
    deleteMessages, answerCallbackQuery, setMyCommands, getMyCommands,
    deleteMyCommands, setMessageReaction, sendChatAction, getChat,
    setMyDescription/ShortDescription/Name (+ getters), setChatMenuButton,
    setMyDefaultAdministratorRights, close, logOut.  Anything else is
    ``404 Not Found: method not found``.  Text goes through the server-side
    pipeline of ``emulator_text`` (parse modes, automatic entities, UTF-16
    offsets, length limits).

Updates
    Global increasing ``update_id``.  Delivered through ``getUpdates`` (long
    polling woken by an event; a newer getUpdates terminates a waiting one
    with 409 like the real server) or, once ``setWebhook`` is called, POSTed
    to the webhook (see ``emulator_webhook`` for ordering, concurrency,
    retries and ``set_webhook_targets``).  ``getUpdates`` while a webhook is
    set answers 409.  ``allowed_updates`` filters updates created afterwards.

Faults (emulator side)
    ``fail_next(method, status, retry_after=, count=, chat_id=, apply=)`` makes
    the next matching calls fail (429 carries ``retry_after``; ``status=0``
    drops the connection; ``apply=True`` performs the call and still answers
    with the error, like a lost response).  ``set_delay(method, seconds)``
    slows responses.  ``calls``/``errors`` count requests per method,
    ``sent_log`` records every bot-sent message with ``time.perf_counter()``
    and ``on_bot_message(callback)`` notifies synchronously when one is stored.

HTTP user API (``/_emu``, JSON, CORS enabled; every answer is
``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}``)
    ``GET  /_emu``                                  bot, users, webhook summary
    ``GET  /_emu/users`` / ``POST /_emu/users``     list / create
        (body: first_name, last_name, username, language_code, id - all optional)
    ``GET  /_emu/users/{id}``                       one user
    ``POST /_emu/users/{id}/send``                  body: ``{"text"}`` or
        ``{"command", "args"}`` or ``{"kind", "caption", "file_id", "emoji"}`` or
        ``{"kinds": [...], "caption"}`` (album); optional ``reply_to``.
        Result ``{"message_id"}`` or ``{"message_ids"}``
    ``POST /_emu/users/{id}/edit``                  ``{"message_id", "text"|"caption"}``
    ``POST /_emu/users/{id}/press``                 ``{"message_id", "data"|"text"}``
        (``text`` presses the inline button with that label); result ``{"callback_query_id"}``
    ``POST /_emu/users/{id}/react``                 ``{"message_id", "emoji"}`` (null clears)
    ``POST /_emu/users/{id}/block`` / ``unblock``
    ``GET  /_emu/users/{id}/messages?after=<message_id>&since=<rev>&timeout=<s>``
        the chat in order (both directions, keyboards, edit/delete state).
        Returns messages with id > ``after`` or changed after revision
        ``since``; waits up to ``timeout`` seconds while there are none.
        Result ``{"messages", "rev", "reply_keyboard", "blocked"}``
    ``GET  /_emu/users/{id}/callback_answers``
    ``GET  /_emu/stats``                            counters and webhook state
    ``POST /_emu/faults`` (same fields as ``fail_next``), ``DELETE /_emu/faults``
    ``POST /_emu/delay``  ``{"method", "seconds"}``
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import random
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .emulator_state import (
    CAPTION_KINDS,
    DEFAULT_UPDATE_TYPES,
    DICE_RANGES,
    FILE_KINDS,
    ApiError,
    CallbackAnswer,
    EmulatorConfig,
    EmuMessage,
    FileRegistry,
    JSONDict,
    PendingUpdate,
    SentRecord,
    bad_request,
    media_content,
    new_poll,
)
from .emulator_text import EntityParseError, format_text, utf16_len
from .emulator_webhook import WebhookDelivery

if TYPE_CHECKING:
    from aiogram import Bot

__all__ = [
    "ApiError",
    "BotAPIEmulator",
    "CallbackAnswer",
    "EmuMessage",
    "EmulatorConfig",
    "Fault",
    "SentRecord",
    "SimUser",
]

logger = logging.getLogger(__name__)

Handler = Callable[["_Params"], Awaitable[Any]]
Files = dict[str, tuple[str, bytes]]

_ALLOWED_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
    "web_app",
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_UNSET: Any = object()


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _error_response(error: ApiError) -> web.Response:
    return web.Response(body=_dumps(error.payload()), status=error.status, content_type="application/json")


class _RawResult:
    """A result that is already serialised JSON."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


class _Params:
    """Request parameters with Bot API coercion rules (form values are strings)."""

    __slots__ = ("data", "files")

    def __init__(self, data: dict[str, Any], files: Files | None = None) -> None:
        self.data = data
        self.files: Files = files or {}

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def get(self, name: str) -> Any:
        return self.data.get(name)

    def get_str(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            try:
                return int(float(str(value)))
            except ValueError:
                raise bad_request(f"invalid {name} specified") from None

    def get_float(self, name: str, default: float) -> float:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return bool(value)
        return str(value).strip().lower() in ("true", "1", "yes", "on")

    def get_json(self, name: str) -> Any:
        value = self.data.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value


@dataclass(slots=True)
class Fault:
    """A pending injected failure (see :meth:`BotAPIEmulator.fail_next`)."""

    method: str | None
    status: int
    retry_after: int | None
    remaining: int
    chat_id: int | None
    description: str | None
    apply: bool

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError:
        if self.status == 429:
            retry = self.retry_after if self.retry_after is not None else 1
            return ApiError(429, self.description or f"Too Many Requests: retry after {retry}", retry_after=retry)
        defaults = {
            400: "Bad Request: injected failure",
            401: "Unauthorized",
            403: "Forbidden: bot was blocked by the user",
            404: "Not Found",
            409: "Conflict: terminated by other getUpdates request",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }
        return ApiError(self.status, self.description or defaults.get(self.status, "Error"))


@dataclass(slots=True)
class _CallbackState:
    user: SimUser
    answered: bool = False


# ============================================================================ users


class SimUser:
    """A simulated Telegram user and their private chat with the bot.

    ``messages`` indexes the whole chat by message id (both directions, in
    order); ``inbox`` lists what the bot sent, ``outbox`` what the user sent.
    """

    def __init__(
        self,
        emulator: BotAPIEmulator,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        is_premium: bool = False,
    ) -> None:
        self._emu = emulator
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.api_user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        self.api_chat: JSONDict = {"id": user_id, "type": "private", "first_name": first_name}
        for key, value in (("last_name", last_name), ("username", username)):
            if value:
                self.api_user[key] = value
                self.api_chat[key] = value
        if language_code:
            self.api_user["language_code"] = language_code
        if is_premium:
            self.api_user["is_premium"] = True
        self.messages: dict[int, EmuMessage] = {}
        self.inbox: list[EmuMessage] = []
        self.outbox: list[EmuMessage] = []
        self.callback_answers: list[str | None] = []
        self.callback_log: list[CallbackAnswer] = []
        self.chat_actions: list[str] = []
        #: Last reply keyboard the bot showed (``None`` after remove_keyboard).
        self.reply_keyboard: JSONDict | None = None
        self.blocked = False
        self.deactivated = False
        #: Whether the user ever wrote to the bot (see ``EmulatorConfig.require_start``).
        self.started = False
        #: Chat revision, bumped by every change visible in the chat.
        self.rev = 0
        self.chat_instance = str(-(user_id * 7919 + 13) % 10**18)
        self._next_message_id = 1
        self._waiters: list[asyncio.Future[None]] = []
        self._my_reactions: dict[int, list[JSONDict]] = {}

    def __repr__(self) -> str:
        return f"SimUser(id={self.id}, first_name={self.first_name!r})"

    # ----------------------------------------------------------------- views
    @property
    def last_bot_message(self) -> EmuMessage | None:
        return self.inbox[-1] if self.inbox else None

    def message(self, message_id: int) -> EmuMessage:
        """A message of this chat by id (``KeyError`` if unknown)."""
        return self.messages[message_id]

    def history(self) -> list[EmuMessage]:
        """All messages of the chat in order."""
        return list(self.messages.values())

    def to_dict(self) -> JSONDict:
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
            "blocked": self.blocked,
            "started": self.started,
            "message_count": len(self.messages),
            "rev": self.rev,
        }

    # -------------------------------------------------------------- storage
    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _bump(self, message: EmuMessage | None = None) -> None:
        self.rev += 1
        if message is not None:
            message.rev = self.rev
        self._notify()

    def _store(
        self,
        *,
        from_bot: bool,
        content: JSONDict,
        method: str,
        reply_to: EmuMessage | None = None,
        reply_markup: JSONDict | None = None,
        protect_content: bool = False,
        media_group_id: str | None = None,
        copied_from: tuple[int, int] | None = None,
        forward_origin: JSONDict | None = None,
    ) -> EmuMessage:
        message_id = self._next_message_id
        self._next_message_id += 1
        message = EmuMessage(
            chat_id=self.id,
            message_id=message_id,
            from_bot=from_bot,
            content=content,
            date=int(time.time()),
            sender=self._emu.bot_user if from_bot else self.api_user,
            chat=self.api_chat,
            method=method,
            reply_to=reply_to,
            reply_markup=reply_markup,
            protect_content=protect_content,
            media_group_id=media_group_id,
            copied_from=copied_from,
            forward_origin=forward_origin,
            stored_at=time.perf_counter(),
        )
        self.messages[message_id] = message
        if from_bot:
            self.inbox.append(message)
            if reply_markup is not None:
                if "keyboard" in reply_markup:
                    self.reply_keyboard = reply_markup
                elif "remove_keyboard" in reply_markup:
                    self.reply_keyboard = None
        else:
            self.outbox.append(message)
        self._bump(message)
        return message

    def _edit(
        self,
        message: EmuMessage,
        content: JSONDict | None,
        reply_markup: JSONDict | None | Any = _UNSET,
        *,
        mark_edited: bool = True,
    ) -> None:
        message.edit_history.append(
            {
                "content": message.content,
                "reply_markup": message.reply_markup,
                "edit_date": message.edit_date,
            }
        )
        if content is not None:
            message.content = content
        if reply_markup is not _UNSET:
            message.reply_markup = reply_markup
        if mark_edited:
            message.edit_date = int(time.time())
        self._bump(message)

    # --------------------------------------------------------------- waiting
    async def wait_changed(self, timeout: float) -> bool:
        """Wait until anything in this chat changes; ``False`` on timeout."""
        if timeout <= 0:
            return False
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    async def _wait_until(self, check: Callable[[], Any], timeout: float, what: str) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0 or self._emu.closing:
                raise TimeoutError(f"{self!r}: timed out after {timeout}s waiting for {what}")
            await self.wait_changed(remaining)

    async def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[EmuMessage]:
        """Wait until the bot has sent at least ``count`` messages to this user."""
        result: list[EmuMessage] = await self._wait_until(
            lambda: list(self.inbox) if len(self.inbox) >= count else None,
            timeout,
            f"{count} bot messages (have {len(self.inbox)})",
        )
        return result

    async def wait_for(
        self,
        predicate: Callable[[EmuMessage], bool],
        timeout: float = 5.0,
        *,
        after: int | None = None,
    ) -> EmuMessage:
        """First bot message (id > ``after`` if given) matching ``predicate``.

        Edits count: a message that starts matching after an edit is returned.
        """

        def check() -> EmuMessage | None:
            for message in self.inbox:
                if after is not None and message.message_id <= after:
                    continue
                if predicate(message):
                    return message
            return None

        result: EmuMessage = await self._wait_until(check, timeout, "a matching bot message")
        return result

    async def wait_for_text(
        self,
        fragment: str,
        timeout: float = 5.0,
        *,
        after: int | None = None,
    ) -> EmuMessage:
        """First bot message whose text or caption contains ``fragment``."""
        return await self.wait_for(lambda m: fragment in m.body, timeout, after=after)

    async def wait_for_callback_answer(self, query_id: str, timeout: float = 5.0) -> CallbackAnswer:
        def check() -> CallbackAnswer | None:
            for answer in self.callback_log:
                if answer.query_id == query_id:
                    return answer
            return None

        result: CallbackAnswer = await self._wait_until(check, timeout, f"an answer to callback query {query_id}")
        return result

    # --------------------------------------------------------------- sending
    def _ensure_can_act(self) -> None:
        if self.deactivated:
            raise RuntimeError(f"{self!r} deleted their account")
        if self.blocked:
            raise RuntimeError(f"{self!r} has blocked the bot; call unblock_bot() first")

    def _reply_target(self, reply_to: int | None) -> EmuMessage | None:
        if reply_to is None:
            return None
        target = self.messages.get(reply_to)
        if target is None or target.deleted:
            raise ValueError(f"no message {reply_to} in chat {self.id}")
        return target

    def _send(
        self,
        content: JSONDict,
        *,
        reply_to: int | None = None,
        media_group_id: str | None = None,
    ) -> EmuMessage:
        self._ensure_can_act()
        target = self._reply_target(reply_to)
        self.started = True
        message = self._store(
            from_bot=False,
            content=content,
            method="user",
            reply_to=target,
            media_group_id=media_group_id,
        )
        self._emu._emit("message", self.id, message.to_api())
        return message

    async def send_raw(self, content: JSONDict, *, reply_to: int | None = None) -> int:
        """Send a message with an arbitrary Bot API content dict."""
        return self._send(dict(content), reply_to=reply_to).message_id

    async def send_text(
        self,
        text: str,
        *,
        reply_to: int | None = None,
        entities: list[JSONDict] | None = None,
        parse_mode: str | None = None,
    ) -> int:
        """Send a text message; returns its message id."""
        plain, found = format_text(text, parse_mode, entities)
        if not plain:
            raise ValueError("message text is empty")
        content: JSONDict = {"text": plain}
        if found:
            content["entities"] = found
        return self._send(content, reply_to=reply_to).message_id

    async def send_command(self, command: str, args: str | None = None, *, reply_to: int | None = None) -> int:
        """Send ``/command [args]`` with a ``bot_command`` entity."""
        command = command if command.startswith("/") else f"/{command}"
        text = f"{command} {args}" if args else command
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return await self.send_text(text, reply_to=reply_to, entities=entities)

    def _media_content(
        self,
        kind: str,
        *,
        caption: str | None,
        file_id: str | None,
        has_spoiler: bool,
        emoji: str | None,
        file_name: str | None,
        mime_type: str | None,
        caption_entities: list[JSONDict] | None = None,
    ) -> JSONDict:
        if kind not in FILE_KINDS:
            raise ValueError(f"not a file kind: {kind!r}")
        files = self._emu._files
        media: Any = None
        if file_id is not None:
            media = files.resolve(kind, file_id) or files.adopt(kind, file_id)
        else:
            media = files.new_media(kind, file_name=file_name, mime_type=mime_type, emoji=emoji)
        content = media_content(kind, media)
        if caption and kind in CAPTION_KINDS:
            plain, found = format_text(caption, None, caption_entities)
            if plain:
                content["caption"] = plain
            if found:
                content["caption_entities"] = found
        if has_spoiler and kind in ("photo", "video", "animation"):
            content["has_media_spoiler"] = True
        return content

    async def send_media(
        self,
        kind: str,
        caption: str | None = None,
        *,
        file_id: str | None = None,
        reply_to: int | None = None,
        has_spoiler: bool = False,
        emoji: str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        caption_entities: list[JSONDict] | None = None,
    ) -> int:
        """Send a file message of ``kind`` (photo, video, ...); synthetic file unless ``file_id``."""
        content = self._media_content(
            kind,
            caption=caption,
            file_id=file_id,
            has_spoiler=has_spoiler,
            emoji=emoji,
            file_name=file_name,
            mime_type=mime_type,
            caption_entities=caption_entities,
        )
        return self._send(content, reply_to=reply_to).message_id

    async def send_photo(
        self,
        caption: str | None = None,
        *,
        file_id: str | None = None,
        reply_to: int | None = None,
        has_spoiler: bool = False,
    ) -> int:
        return await self.send_media("photo", caption, file_id=file_id, reply_to=reply_to, has_spoiler=has_spoiler)

    async def send_video(
        self,
        caption: str | None = None,
        *,
        file_id: str | None = None,
        reply_to: int | None = None,
        has_spoiler: bool = False,
    ) -> int:
        return await self.send_media("video", caption, file_id=file_id, reply_to=reply_to, has_spoiler=has_spoiler)

    async def send_animation(
        self, caption: str | None = None, *, file_id: str | None = None, reply_to: int | None = None
    ) -> int:
        return await self.send_media("animation", caption, file_id=file_id, reply_to=reply_to)

    async def send_voice(
        self, caption: str | None = None, *, file_id: str | None = None, reply_to: int | None = None
    ) -> int:
        return await self.send_media("voice", caption, file_id=file_id, reply_to=reply_to)

    async def send_video_note(self, *, file_id: str | None = None, reply_to: int | None = None) -> int:
        return await self.send_media("video_note", file_id=file_id, reply_to=reply_to)

    async def send_audio(
        self, caption: str | None = None, *, file_id: str | None = None, reply_to: int | None = None
    ) -> int:
        return await self.send_media("audio", caption, file_id=file_id, reply_to=reply_to)

    async def send_document(
        self,
        caption: str | None = None,
        *,
        file_id: str | None = None,
        reply_to: int | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> int:
        return await self.send_media(
            "document",
            caption,
            file_id=file_id,
            reply_to=reply_to,
            file_name=file_name,
            mime_type=mime_type,
        )

    async def send_sticker(self, emoji: str = "🙂", *, file_id: str | None = None, reply_to: int | None = None) -> int:
        return await self.send_media("sticker", file_id=file_id, reply_to=reply_to, emoji=emoji)

    async def send_dice(self, emoji: str = "🎲", value: int | None = None, *, reply_to: int | None = None) -> int:
        top = DICE_RANGES.get(emoji, 6)
        rolled = value if value is not None else self._emu._rng.randint(1, top)
        return self._send({"dice": {"emoji": emoji, "value": rolled}}, reply_to=reply_to).message_id

    async def send_poll(
        self,
        question: str = "Question?",
        options: Sequence[str] = ("Yes", "No"),
        *,
        is_anonymous: bool = True,
        poll_type: str = "regular",
        reply_to: int | None = None,
    ) -> int:
        poll = new_poll(
            self._emu._new_poll_id(),
            question,
            list(options),
            is_anonymous=is_anonymous,
            type=poll_type,
        )
        return self._send({"poll": poll}, reply_to=reply_to).message_id

    async def send_contact(
        self,
        phone_number: str = "+10000000000",
        first_name: str | None = None,
        *,
        reply_to: int | None = None,
    ) -> int:
        contact: JSONDict = {"phone_number": phone_number, "first_name": first_name or self.first_name}
        if first_name is None:
            contact["user_id"] = self.id
        return self._send({"contact": contact}, reply_to=reply_to).message_id

    async def send_location(
        self, latitude: float = 55.7558, longitude: float = 37.6173, *, reply_to: int | None = None
    ) -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return self._send({"location": location}, reply_to=reply_to).message_id

    async def send_album(
        self,
        kinds: Sequence[str] = ("photo", "photo"),
        caption: str | None = None,
        *,
        reply_to: int | None = None,
    ) -> list[int]:
        """Send several media messages sharing one ``media_group_id`` (caption on the first)."""
        if not 2 <= len(kinds) <= 10:
            raise ValueError("an album has 2-10 items")
        group_id = self._emu._new_media_group_id()
        contents = [
            self._media_content(
                kind,
                caption=caption if index == 0 else None,
                file_id=None,
                has_spoiler=False,
                emoji=None,
                file_name=None,
                mime_type=None,
            )
            for index, kind in enumerate(kinds)
        ]
        return [self._send(content, reply_to=reply_to, media_group_id=group_id).message_id for content in contents]

    def _own_message(self, message_id: int) -> EmuMessage:
        message = self.messages.get(message_id)
        if message is None or message.deleted or message.from_bot:
            raise ValueError(f"{self!r} has no message {message_id} of their own to edit")
        return message

    async def edit_text(self, message_id: int, text: str, *, entities: list[JSONDict] | None = None) -> None:
        """Edit one of the user's text messages (emits ``edited_message``)."""
        self._ensure_can_act()
        message = self._own_message(message_id)
        if "text" not in message.content:
            raise ValueError("not a text message")
        plain, found = format_text(text, None, entities)
        if not plain:
            raise ValueError("message text is empty")
        content = {k: v for k, v in message.content.items() if k not in ("text", "entities")}
        content["text"] = plain
        if found:
            content["entities"] = found
        self._edit(message, content)
        self._emu._emit("edited_message", self.id, message.to_api())

    async def edit_caption(self, message_id: int, caption: str | None) -> None:
        """Edit (or with ``None`` remove) the caption of one of the user's media messages."""
        self._ensure_can_act()
        message = self._own_message(message_id)
        if message.kind not in CAPTION_KINDS:
            raise ValueError("message has no caption")
        content = {k: v for k, v in message.content.items() if k not in ("caption", "caption_entities")}
        if caption:
            plain, found = format_text(caption, None, None)
            if plain:
                content["caption"] = plain
            if found:
                content["caption_entities"] = found
        self._edit(message, content)
        self._emu._emit("edited_message", self.id, message.to_api())

    async def press(self, message_id: int, data: str) -> str:
        """Press an inline button: emits ``callback_query``; returns the query id.

        ``data`` is not checked against the keyboard (clients can forge any data).
        """
        self._ensure_can_act()
        message = self.messages.get(message_id)
        if message is None:
            raise ValueError(f"no message {message_id} in chat {self.id}")
        query_id = self._emu._new_callback(self)
        payload: JSONDict = {
            "id": query_id,
            "from": self.api_user,
            "message": message.to_inaccessible() if message.deleted else message.to_api(),
            "chat_instance": self.chat_instance,
            "data": data,
        }
        self._emu._emit("callback_query", self.id, payload)
        return query_id

    async def press_button(self, message_id: int, text: str) -> str:
        """Press the inline button labelled ``text`` on a bot message."""
        return await self.press(message_id, self.message(message_id).callback_data(text))

    async def react(self, message_id: int, emoji: str | None) -> None:
        """Set (or with ``None`` clear) the user's reaction; emits ``message_reaction``."""
        self._ensure_can_act()
        if message_id not in self.messages:
            raise ValueError(f"no message {message_id} in chat {self.id}")
        old = self._my_reactions.get(message_id, [])
        new = [{"type": "emoji", "emoji": emoji}] if emoji else []
        self._my_reactions[message_id] = new
        payload = {
            "chat": self.api_chat,
            "message_id": message_id,
            "user": self.api_user,
            "date": int(time.time()),
            "old_reaction": old,
            "new_reaction": new,
        }
        self._emu._emit("message_reaction", self.id, payload)

    def _member_update(self, old_status: str, new_status: str) -> None:
        bot = self._emu.bot_user
        new_member: JSONDict = {"status": new_status, "user": bot}
        if new_status == "kicked":
            new_member["until_date"] = 0
        old_member: JSONDict = {"status": old_status, "user": bot}
        if old_status == "kicked":
            old_member["until_date"] = 0
        payload = {
            "chat": self.api_chat,
            "from": self.api_user,
            "date": int(time.time()),
            "old_chat_member": old_member,
            "new_chat_member": new_member,
        }
        self._emu._emit("my_chat_member", self.id, payload)

    async def block_bot(self) -> None:
        """Block the bot: its sends now get 403; emits ``my_chat_member`` member -> kicked."""
        if self.blocked:
            return
        self.blocked = True
        self._bump()
        self._member_update("member", "kicked")

    async def unblock_bot(self) -> None:
        """Unblock the bot; emits ``my_chat_member`` kicked -> member."""
        if not self.blocked:
            return
        self.blocked = False
        self.started = True
        self._bump()
        self._member_update("kicked", "member")

    async def delete_account(self) -> None:
        """The bot now gets 403 "user is deactivated" for this chat."""
        self.deactivated = True
        self._bump()


# ========================================================================= emulator


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
        self._rng = random.Random(self.config.seed)
        self._files = FileRegistry(self._rng)
        self._users: dict[int, SimUser] = {}
        self._next_user_id = self.config.first_user_id
        self._update_id = self.config.first_update_id - 1
        self._pending: deque[PendingUpdate] = deque()
        self._updates_event = asyncio.Event()
        self._poll_generation = 0
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._allowed_explicit: list[str] | None = None
        self._webhook = WebhookDelivery(self.config, self._execute_webhook_reply)
        self._callbacks: dict[str, _CallbackState] = {}
        self._callback_counter = 0
        self._poll_counter = 0
        self._group_counter = 0
        self._faults: list[Fault] = []
        self._delays: dict[str | None, float] = {}
        self._hooks: list[Callable[[EmuMessage], None]] = []
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.bot_settings: dict[str, JSONDict] = {}
        self._runner: web.AppRunner | None = None
        self.closing = False
        self.host = "127.0.0.1"
        self.port = 0
        #: Requests per Bot API method (canonical names; unknown names as sent).
        self.calls: Counter[str] = Counter()
        #: Error answers per method (API errors and injected faults).
        self.errors: Counter[str] = Counter()
        #: Every message stored on behalf of the bot, in order.
        self.sent_log: list[SentRecord] = []
        self.updates_emitted = 0
        self.updates_filtered = 0
        self._methods: dict[str, tuple[str, Handler]] = {}
        self._register_methods()

    # ------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        """``http://host:port`` (give it to ``TelegramAPIServer.from_base``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Base URL of this bot's methods: ``{base_url}/bot{token}``."""
        return f"{self.base_url}/bot{self.token}"

    def make_app(self) -> web.Application:
        """The aiohttp application (to embed it in another server)."""
        from .emulator_userapi import setup_user_api

        app = web.Application(client_max_size=self.config.client_max_size)
        app.router.add_route("*", r"/bot{token:[^/]+}/{method:[^/]*}", self._handle_api)
        setup_user_api(app, self)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 = a free port); returns ``base_url``."""
        if self._runner is not None:
            return self.base_url
        self.closing = False
        runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self.host = host
        self.port = int(runner.addresses[0][1])
        return self.base_url

    async def stop(self) -> None:
        """Stop serving, wake every waiter and stop webhook delivery."""
        self.closing = True
        self._updates_event.set()
        for user in self._users.values():
            user._notify()
        await self._webhook.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> BotAPIEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def create_bot(self, **kwargs: Any) -> Bot:
        """An ``aiogram.Bot`` whose session talks to this emulator."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        session = AiohttpSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(self.token, session=session, **kwargs)

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

    @property
    def users(self) -> list[SimUser]:
        return list(self._users.values())

    def get_message(self, chat_id: int, message_id: int) -> EmuMessage:
        return self._users[chat_id].messages[message_id]

    # --------------------------------------------------------------- faults
    def fail_next(
        self,
        method: str | None = None,
        status: int = 429,
        *,
        retry_after: int | None = 1,
        count: int = 1,
        chat_id: int | None = None,
        description: str | None = None,
        apply: bool = False,
    ) -> Fault:
        """Fail the next ``count`` calls of ``method`` (any method if ``None``).

        ``status=0`` drops the connection without an answer; ``apply=True``
        executes the call before answering with the error.
        """
        fault = Fault(
            method=method,
            status=status,
            retry_after=retry_after if status == 429 else None,
            remaining=count,
            chat_id=chat_id,
            description=description,
            apply=apply,
        )
        self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self._faults.clear()
        self._delays.clear()

    def set_delay(self, method: str | None = None, seconds: float = 0.2) -> None:
        """Delay answers of ``method`` (every method if ``None``); 0 removes the delay."""
        key = method.lower() if method else None
        if seconds > 0:
            self._delays[key] = seconds
        else:
            self._delays.pop(key, None)

    def _take_fault(self, method: str, chat_id: int | None) -> Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.matches(method, chat_id):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # ---------------------------------------------------------------- hooks
    def on_bot_message(self, callback: Callable[[EmuMessage], None]) -> Callable[[], None]:
        """Call ``callback(message)`` synchronously whenever the bot's message is stored.

        Returns a function that unsubscribes.
        """
        self._hooks.append(callback)

        def unsubscribe() -> None:
            if callback in self._hooks:
                self._hooks.remove(callback)

        return unsubscribe

    def reset_counters(self) -> None:
        self.calls.clear()
        self.errors.clear()
        self.sent_log.clear()

    # -------------------------------------------------------------- webhook
    def set_webhook_targets(self, urls: Sequence[str] | None, *, mode: str = "hash") -> None:
        """Deliver webhook updates to these URLs instead of the one set by the bot.

        ``mode="hash"``: chat ``c`` always goes to ``urls[abs(c) % len(urls)]``;
        ``mode="round_robin"``: rotate per update.  ``None``/empty restores the
        bot's URL.  Applies while a webhook is set (``setWebhook`` still decides
        whether delivery happens and with which secret).
        """
        if mode not in ("hash", "round_robin"):
            raise ValueError("mode must be 'hash' or 'round_robin'")
        self._webhook.targets = list(urls or [])
        self._webhook.mode = mode

    @property
    def webhook(self) -> WebhookDelivery:
        return self._webhook

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed (polling) or not yet delivered (webhook)."""
        return self._webhook.pending_count if self._webhook.active else len(self._pending)

    def commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """Commands set by the bot for ``scope`` (default scope if ``None``)."""
        return list(self._commands.get((self._scope_key(scope), language_code), []))

    # ------------------------------------------------------------- internals
    def _new_callback(self, user: SimUser) -> str:
        self._callback_counter += 1
        query_id = str(4_000_000_000_000_000 + user.id % 1_000_000 * 1_000_000 + self._callback_counter)
        self._callbacks[query_id] = _CallbackState(user)
        return query_id

    def _new_poll_id(self) -> str:
        self._poll_counter += 1
        return str(5_000_000_000_000_000_000 + self._poll_counter)

    def _new_media_group_id(self) -> str:
        self._group_counter += 1
        return str(13_000_000_000_000_000 + self._group_counter)

    def _emit(self, update_type: str, chat_id: int, payload: JSONDict) -> int | None:
        if update_type not in self._allowed_updates:
            self.updates_filtered += 1
            return None
        self._update_id += 1
        update_id = self._update_id
        raw = _dumps({"update_id": update_id, update_type: payload})
        update = PendingUpdate(update_id, update_type, chat_id, raw)
        self.updates_emitted += 1
        if self._webhook.active:
            self._webhook.enqueue(update)
        else:
            self._pending.append(update)
            self._updates_event.set()
        return update_id

    def _set_allowed_updates(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            raise bad_request("can't parse allowed_updates JSON object")
        names = [str(item) for item in value]
        self._allowed_explicit = names or None
        self._allowed_updates = frozenset(names) if names else DEFAULT_UPDATE_TYPES

    # --------------------------------------------------------- HTTP handler
    async def _read_params(self, request: web.Request) -> _Params:
        data: dict[str, Any] = dict(request.query) if request.query_string else {}
        files: Files = {}
        if request.method == "POST" and request.body_exists:
            content_type = request.content_type
            if content_type == "application/json":
                body = await request.read()
                if body:
                    try:
                        decoded = json.loads(body)
                    except ValueError:
                        raise bad_request("can't parse JSON request body") from None
                    if not isinstance(decoded, dict):
                        raise bad_request("JSON object expected")
                    data.update(decoded)
            elif content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = (value.filename, value.file.read())
                    elif isinstance(value, (bytes, bytearray)):
                        data[key] = bytes(value).decode("utf-8")
                    else:
                        data[key] = value
            else:
                await request.read()
        return _Params(data, files)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        name = request.match_info["method"]
        entry = self._methods.get(name.lower())
        if entry is None:
            self.calls[name] += 1
            self.errors[name] += 1
            return _error_response(ApiError(404, "Not Found: method not found"))
        method, handler = entry
        self.calls[method] += 1
        try:
            params = await self._read_params(request)
        except ApiError as exc:
            self.errors[method] += 1
            return _error_response(exc)
        if self._delays:
            delay = self._delays.get(method.lower(), self._delays.get(None, 0.0))
            if delay > 0:
                await asyncio.sleep(delay)
        fault: Fault | None = None
        if self._faults:
            chat_id: int | None = None
            with contextlib.suppress(ApiError, TypeError, ValueError):
                chat_id = params.get_int("chat_id")
            fault = self._take_fault(method, chat_id)
            if fault is not None and fault.status == 0:
                self.errors[method] += 1
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError
            if fault is not None and not fault.apply:
                self.errors[method] += 1
                return _error_response(fault.error())
        try:
            result = await handler(params)
        except ApiError as exc:
            self.errors[method] += 1
            return _error_response(exc)
        if fault is not None:
            self.errors[method] += 1
            return _error_response(fault.error())
        if isinstance(result, _RawResult):
            body = b'{"ok":true,"result":' + result.data + b"}"
        else:
            body = _dumps({"ok": True, "result": result})
        return web.Response(body=body, content_type="application/json")

    async def _execute_webhook_reply(self, method: str, params: dict[str, Any], files: Files) -> None:
        entry = self._methods.get(method.lower())
        if entry is None:
            raise ApiError(404, "Not Found: method not found")
        canonical, handler = entry
        self.calls[canonical] += 1
        try:
            await handler(_Params(params, files))
        except ApiError:
            self.errors[canonical] += 1
            raise

    def _register_methods(self) -> None:
        table: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "forwardMessage": self._forward_message,
            "copyMessage": self._copy_message,
            "copyMessages": self._copy_messages,
            "sendDice": self._send_dice,
            "sendPoll": self._send_poll,
            "sendContact": self._send_contact,
            "sendLocation": self._send_location,
            "sendMediaGroup": self._send_media_group,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMessageReaction": self._set_message_reaction,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "getMyDescription": self._get_setting("setMyDescription", "description"),
            "getMyShortDescription": self._get_setting("setMyShortDescription", "short_description"),
            "getMyName": self._get_setting("setMyName", "name"),
            "close": self._true,
            "logOut": self._true,
        }
        for kind, method in (
            ("photo", "sendPhoto"),
            ("video", "sendVideo"),
            ("animation", "sendAnimation"),
            ("voice", "sendVoice"),
            ("video_note", "sendVideoNote"),
            ("audio", "sendAudio"),
            ("document", "sendDocument"),
            ("sticker", "sendSticker"),
        ):
            table[method] = self._media_sender(kind, method)
        for method in (
            "setMyDescription",
            "setMyShortDescription",
            "setMyName",
            "setChatMenuButton",
            "setMyDefaultAdministratorRights",
        ):
            table[method] = self._setting_saver(method)
        self._methods = {name.lower(): (name, handler) for name, handler in table.items()}

    # ========================================================== Bot API methods
    async def _true(self, p: _Params) -> bool:
        return True

    def _setting_saver(self, method: str) -> Handler:
        async def handler(p: _Params) -> bool:
            self.bot_settings[method] = dict(p.data)
            return True

        return handler

    def _get_setting(self, method: str, field: str) -> Handler:
        async def handler(p: _Params) -> JSONDict:
            value = self.bot_settings.get(method, {}).get(field, "")
            return {field: value}

        return handler

    async def _get_me(self, p: _Params) -> JSONDict:
        me = dict(self.bot_user)
        me.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return me

    # -------------------------------------------------------------- updates
    async def _get_updates(self, p: _Params) -> _RawResult:
        if self._webhook.active:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = p.get_int("offset")
        limit = max(1, min(100, p.get_int("limit", 100) or 100))
        timeout = max(0.0, p.get_float("timeout", 0.0))
        self._set_allowed_updates(p.get_json("allowed_updates"))
        pending = self._pending
        if offset is not None:
            if offset < 0:
                while len(pending) > -offset:
                    pending.popleft()
            else:
                while pending and pending[0].update_id < offset:
                    pending.popleft()
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_event.set()  # terminates an older waiting request
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            if self._webhook.active:
                raise ApiError(409, "Conflict: webhook was set while getUpdates was waiting")
            if pending:
                chunk = [pending[i].raw for i in range(min(limit, len(pending)))]
                return _RawResult(b"[" + b",".join(chunk) + b"]")
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closing:
                return _RawResult(b"[]")
            self._updates_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_event.wait(), remaining)

    async def _set_webhook(self, p: _Params) -> bool:
        url = p.get_str("url") or ""
        if not url:
            return await self._delete_webhook(p)
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get_str("secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = max(1, min(100, p.get_int("max_connections", 40) or 40))
        self._set_allowed_updates(p.get_json("allowed_updates"))
        if self._webhook.active:
            backlog = await self._webhook.stop()
        else:
            backlog = list(self._pending)
            self._pending.clear()
        if p.get_bool("drop_pending_updates"):
            backlog = []
        self._webhook.start(url, secret_token=secret or None, max_connections=max_connections, backlog=backlog)
        self._updates_event.set()
        return True

    async def _delete_webhook(self, p: _Params) -> bool:
        if self._webhook.active:
            backlog = await self._webhook.stop()
            self._pending.extend(backlog)
        if p.get_bool("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, p: _Params) -> JSONDict:
        hook = self._webhook
        if not hook.active:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._pending)}
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
        if self._allowed_explicit:
            info["allowed_updates"] = self._allowed_explicit
        return info

    # -------------------------------------------------------------- helpers
    def _chat_id(self, p: _Params, name: str = "chat_id") -> int:
        raw = p.get(name)
        if raw is None or raw == "":
            raise bad_request(f"{name} is empty")
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None

    def _known_chat(self, p: _Params, name: str = "chat_id") -> SimUser:
        user = self._users.get(self._chat_id(p, name))
        if user is None:
            raise bad_request("chat not found")
        return user

    def _reachable_chat(self, p: _Params) -> SimUser:
        user = self._known_chat(p)
        if user.deactivated:
            raise ApiError(403, "Forbidden: user is deactivated")
        if user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if self.config.require_start and not user.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return user

    def _format(self, text: str, parse_mode: str | None, entities: Any, *, caption: bool) -> tuple[str, list[JSONDict]]:
        if entities is not None:
            if not isinstance(entities, list) or not all(
                isinstance(e, dict) and "type" in e and "offset" in e and "length" in e for e in entities
            ):
                raise bad_request("can't parse entities JSON object")
        try:
            plain, found = format_text(text, parse_mode, entities)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        except LookupError:
            raise bad_request(f"unsupported parse_mode {parse_mode!r}") from None
        if caption and utf16_len(plain) > 1024:
            raise bad_request("message caption is too long")
        if not caption and utf16_len(plain) > 4096:
            raise bad_request("message is too long")
        return plain, found

    def _caption_fields(self, raw: str | None, parse_mode: str | None, entities: Any) -> JSONDict:
        if not raw:
            return {}
        plain, found = self._format(raw, parse_mode, entities, caption=True)
        fields: JSONDict = {}
        if plain:
            fields["caption"] = plain
        if found:
            fields["caption_entities"] = found
        return fields

    def _markup(self, p: _Params, *, inline_only: bool = False) -> JSONDict | None:
        markup = p.get_json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            return markup
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request("can't parse reply keyboard markup JSON object")
            normal = [[{"text": b} if isinstance(b, str) else b for b in row] for row in rows]
            for row in normal:
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise bad_request("keyboard button text must be non-empty")
            return {**markup, "keyboard": normal}
        if "remove_keyboard" in markup or "force_reply" in markup:
            return markup
        raise bad_request("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict):
            raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        if not isinstance(button.get("text"), str) or not button["text"]:
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
        actions = [name for name in _BUTTON_ACTIONS if name in button]
        if not actions:
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
        if "url" in button:
            url = button["url"]
            if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
                raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")

    def _reply_target(self, chat: SimUser, p: _Params) -> EmuMessage | None:
        params = p.get_json("reply_parameters")
        allow = p.get_bool("allow_sending_without_reply")
        message_id: Any = None
        other_chat = False
        if isinstance(params, dict):
            message_id = params.get("message_id")
            allow = bool(params.get("allow_sending_without_reply", allow))
            if params.get("chat_id") not in (None, chat.id, str(chat.id)):
                other_chat = True
        elif params is not None:
            raise bad_request("can't parse reply parameters JSON object")
        elif p.has("reply_to_message_id"):
            message_id = p.get_int("reply_to_message_id")
        if message_id is None:
            return None
        try:
            target = None if other_chat else chat.messages.get(int(message_id))
        except (TypeError, ValueError):
            target = None
        if target is None or target.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return target

    def _store_bot(
        self,
        chat: SimUser,
        content: JSONDict,
        p: _Params,
        method: str,
        *,
        media_group_id: str | None = None,
        reply_to: EmuMessage | None | Any = _UNSET,
        reply_markup: JSONDict | None | Any = _UNSET,
        copied_from: tuple[int, int] | None = None,
        forward_origin: JSONDict | None = None,
    ) -> EmuMessage:
        if reply_markup is _UNSET:
            reply_markup = self._markup(p)
        if reply_to is _UNSET:
            reply_to = self._reply_target(chat, p)
        message = chat._store(
            from_bot=True,
            content=content,
            method=method,
            reply_to=reply_to,
            reply_markup=reply_markup,
            protect_content=p.get_bool("protect_content"),
            media_group_id=media_group_id,
            copied_from=copied_from,
            forward_origin=forward_origin,
        )
        self.sent_log.append(SentRecord(method, chat.id, message.message_id, message.stored_at))
        for hook in list(self._hooks):
            try:
                hook(message)
            except Exception:
                logger.exception("on_bot_message callback failed")
        return message

    def _input_file(self, kind: str, value: Any, files: Files, field: str) -> Any:
        if field in files and (value is None or value == ""):
            filename, data = files[field]
            return self._files.new_media(kind, size=len(data), file_name=filename)
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {field} in the request")
        if value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            filename, data = upload
            if not data:
                raise bad_request("file must be non-empty")
            return self._files.new_media(kind, size=len(data), file_name=filename)
        if value.startswith(("http://", "https://")):
            return self._files.new_media(kind)
        known = self._files.resolve(kind, value)
        if known is not None:
            return known
        if self.config.strict_file_ids:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return self._files.adopt(kind, value)

    # ------------------------------------------------------------- sending
    def _text_content(self, p: _Params) -> JSONDict:
        """Text, entities and explicit link preview options of sendMessage / editMessageText."""
        text = p.get_str("text")
        if not text:
            raise bad_request("message text is empty")
        plain, found = self._format(text, p.get_str("parse_mode"), p.get_json("entities"), caption=False)
        if not plain:
            raise bad_request("message text is empty")
        content: JSONDict = {"text": plain}
        if found:
            content["entities"] = found
        preview = p.get_json("link_preview_options")
        if isinstance(preview, dict) and preview:
            content["link_preview_options"] = preview
        return content

    async def _send_message(self, p: _Params) -> JSONDict:
        chat = self._reachable_chat(p)
        content = self._text_content(p)
        if "link_preview_options" not in content and p.get_bool("disable_web_page_preview"):
            content["link_preview_options"] = {"is_disabled": True}
        return self._store_bot(chat, content, p, "sendMessage").to_api()

    def _media_sender(self, kind: str, method: str) -> Handler:
        async def handler(p: _Params) -> JSONDict:
            chat = self._reachable_chat(p)
            media = self._input_file(kind, p.get(kind), p.files, kind)
            content = media_content(kind, media)
            if kind == "sticker" and p.get_str("emoji") and isinstance(media, dict):
                media["emoji"] = p.get_str("emoji")
            if kind in CAPTION_KINDS:
                content.update(
                    self._caption_fields(p.get_str("caption"), p.get_str("parse_mode"), p.get_json("caption_entities"))
                )
                if p.get_bool("show_caption_above_media"):
                    content["show_caption_above_media"] = True
            if kind in ("photo", "video", "animation") and p.get_bool("has_spoiler"):
                content["has_media_spoiler"] = True
            return self._store_bot(chat, content, p, method).to_api()

        return handler

    async def _send_dice(self, p: _Params) -> JSONDict:
        chat = self._reachable_chat(p)
        emoji = p.get_str("emoji") or "🎲"
        if emoji not in DICE_RANGES:
            raise bad_request("DICE_EMOJI_INVALID")
        value = self._rng.randint(1, DICE_RANGES[emoji])
        return self._store_bot(chat, {"dice": {"emoji": emoji, "value": value}}, p, "sendDice").to_api()

    async def _send_poll(self, p: _Params) -> JSONDict:
        chat = self._reachable_chat(p)
        question = p.get_str("question") or ""
        if not question.strip():
            raise bad_request("poll question must be non-empty")
        raw_options = p.get_json("options")
        if not isinstance(raw_options, list):
            raise bad_request("can't parse options JSON object")
        options = [str(o.get("text", "")) if isinstance(o, dict) else str(o) for o in raw_options]
        if not 2 <= len(options) <= 12:
            raise bad_request("poll must have 2-12 options")
        if not all(option.strip() for option in options):
            raise bad_request("poll options must be non-empty")
        extra: JSONDict = {
            "is_anonymous": p.get_bool("is_anonymous", True),
            "type": p.get_str("type") or "regular",
            "allows_multiple_answers": p.get_bool("allows_multiple_answers"),
        }
        if p.has("correct_option_id"):
            extra["correct_option_id"] = p.get_int("correct_option_id")
        if p.get_str("explanation"):
            extra["explanation"] = p.get_str("explanation")
        poll = new_poll(self._new_poll_id(), question, options, **extra)
        return self._store_bot(chat, {"poll": poll}, p, "sendPoll").to_api()

    async def _send_contact(self, p: _Params) -> JSONDict:
        chat = self._reachable_chat(p)
        phone, first = p.get_str("phone_number"), p.get_str("first_name")
        if not phone or not first:
            raise bad_request("phone_number and first_name must be non-empty")
        contact: JSONDict = {"phone_number": phone, "first_name": first}
        if p.get_str("last_name"):
            contact["last_name"] = p.get_str("last_name")
        return self._store_bot(chat, {"contact": contact}, p, "sendContact").to_api()

    async def _send_location(self, p: _Params) -> JSONDict:
        chat = self._reachable_chat(p)
        location = {
            "latitude": p.get_float("latitude", 0.0),
            "longitude": p.get_float("longitude", 0.0),
        }
        return self._store_bot(chat, {"location": location}, p, "sendLocation").to_api()

    async def _send_media_group(self, p: _Params) -> list[JSONDict]:
        chat = self._reachable_chat(p)
        items = p.get_json("media")
        if not isinstance(items, list):
            raise bad_request("can't parse media JSON object")
        if not 2 <= len(items) <= 10:
            raise bad_request("wrong number of messages in the media group: 2-10 expected")
        contents: list[JSONDict] = []
        for item in items:
            if not isinstance(item, dict):
                raise bad_request("can't parse InputMedia: Media must be an Object")
            kind = item.get("type")
            if kind not in ("photo", "video", "audio", "document"):
                raise bad_request(f"can't use media of type {kind!r} in a media group")
            media = self._input_file(str(kind), item.get("media"), p.files, "media")
            content = media_content(str(kind), media)
            content.update(
                self._caption_fields(item.get("caption"), item.get("parse_mode"), item.get("caption_entities"))
            )
            if item.get("has_spoiler"):
                content["has_media_spoiler"] = True
            contents.append(content)
        reply_to = self._reply_target(chat, p)
        group_id = self._new_media_group_id()
        return [
            self._store_bot(
                chat,
                content,
                p,
                "sendMediaGroup",
                media_group_id=group_id,
                reply_to=reply_to,
                reply_markup=None,
            ).to_api()
            for content in contents
        ]

    # ------------------------------------------------------------- copying
    def _source(self, p: _Params, message_id: int | None, *, verb: str = "copy") -> EmuMessage:
        source_chat = self._users.get(self._chat_id(p, "from_chat_id"))
        if source_chat is None:
            raise bad_request("chat not found")
        if message_id is None:
            raise bad_request("message_id is empty")
        message = source_chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request(f"message to {verb} not found")
        return message

    def _copied_content(self, source: EmuMessage, p: _Params | None, *, remove_caption: bool = False) -> JSONDict:
        content = dict(source.content)
        poll = content.get("poll")
        if isinstance(poll, dict):
            fresh = dict(poll)
            fresh["id"] = self._new_poll_id()
            fresh["total_voter_count"] = 0
            fresh["options"] = [{**option, "voter_count": 0} for option in poll.get("options", [])]
            content["poll"] = fresh
        if source.kind in CAPTION_KINDS:
            if remove_caption:
                content.pop("caption", None)
                content.pop("caption_entities", None)
            elif p is not None and p.get("caption") is not None:
                content.pop("caption", None)
                content.pop("caption_entities", None)
                content.update(
                    self._caption_fields(p.get_str("caption"), p.get_str("parse_mode"), p.get_json("caption_entities"))
                )
            if p is not None and p.has("show_caption_above_media"):
                content.pop("show_caption_above_media", None)
                if p.get_bool("show_caption_above_media"):
                    content["show_caption_above_media"] = True
        return content

    async def _copy_message(self, p: _Params) -> JSONDict:
        chat = self._reachable_chat(p)
        source = self._source(p, p.get_int("message_id"))
        content = self._copied_content(source, p)
        message = self._store_bot(chat, content, p, "copyMessage", copied_from=(source.chat_id, source.message_id))
        return {"message_id": message.message_id}

    async def _forward_message(self, p: _Params) -> JSONDict:
        chat = self._reachable_chat(p)
        source = self._source(p, p.get_int("message_id"), verb="forward")
        origin: JSONDict = {"type": "user", "sender_user": source.sender, "date": source.date}
        message = self._store_bot(
            chat,
            dict(source.content),
            p,
            "forwardMessage",
            reply_to=None,
            reply_markup=None,
            copied_from=(source.chat_id, source.message_id),
            forward_origin=origin,
        )
        return message.to_api()

    async def _copy_messages(self, p: _Params) -> list[JSONDict]:
        chat = self._reachable_chat(p)
        source_chat = self._users.get(self._chat_id(p, "from_chat_id"))
        if source_chat is None:
            raise bad_request("chat not found")
        ids = p.get_json("message_ids")
        if not isinstance(ids, list) or not ids:
            raise bad_request("message_ids must be a non-empty list")
        if len(ids) > 100:
            raise bad_request("too many messages to copy")
        try:
            numbers = [int(item) for item in ids]
        except (TypeError, ValueError):
            raise bad_request("can't parse message_ids JSON object") from None
        if any(b <= a for a, b in zip(numbers, numbers[1:], strict=False)):
            raise bad_request("message identifiers must be specified in strictly increasing order")
        sources = [
            message
            for number in numbers
            if (message := source_chat.messages.get(number)) is not None and not message.deleted
        ]
        if not sources:
            raise bad_request("message to copy not found")
        group_sizes = Counter(m.media_group_id for m in sources if m.media_group_id)
        new_groups = {group: self._new_media_group_id() for group, size in group_sizes.items() if size >= 2}
        remove_caption = p.get_bool("remove_caption")
        results: list[JSONDict] = []
        for source in sources:
            message = self._store_bot(
                chat,
                self._copied_content(source, None, remove_caption=remove_caption),
                p,
                "copyMessages",
                media_group_id=new_groups.get(source.media_group_id or ""),
                reply_to=None,
                reply_markup=None,
                copied_from=(source.chat_id, source.message_id),
            )
            results.append({"message_id": message.message_id})
        return results

    # ------------------------------------------------------------- editing
    def _editable(self, p: _Params) -> tuple[SimUser, EmuMessage]:
        if not p.has("chat_id"):
            if p.has("inline_message_id"):
                raise bad_request("inline message not found")
            raise bad_request("chat_id is empty")
        chat = self._reachable_chat(p)
        message_id = p.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    @staticmethod
    def _edited_markup(message: EmuMessage, new_inline: JSONDict | None) -> JSONDict | None:
        current = message.reply_markup
        if new_inline is None and current is not None and "inline_keyboard" not in current:
            return current
        return new_inline

    async def _edit_message_text(self, p: _Params) -> JSONDict:
        chat, message = self._editable(p)
        if "text" not in message.content:
            raise bad_request("there is no text in the message to edit")
        content = self._text_content(p)
        if "link_preview_options" not in content and "link_preview_options" in message.content:
            content["link_preview_options"] = message.content["link_preview_options"]
        markup = self._edited_markup(message, self._markup(p, inline_only=True))
        if content == message.content and markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        chat._edit(message, content, markup)
        return message.to_api()

    async def _edit_message_caption(self, p: _Params) -> JSONDict:
        chat, message = self._editable(p)
        if message.kind not in CAPTION_KINDS:
            raise bad_request("there is no caption in the message to edit")
        content = {k: v for k, v in message.content.items() if k not in ("caption", "caption_entities")}
        content.update(
            self._caption_fields(p.get_str("caption"), p.get_str("parse_mode"), p.get_json("caption_entities"))
        )
        if p.has("show_caption_above_media"):
            content.pop("show_caption_above_media", None)
            if p.get_bool("show_caption_above_media"):
                content["show_caption_above_media"] = True
        markup = self._edited_markup(message, self._markup(p, inline_only=True))
        if content == message.content and markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        chat._edit(message, content, markup)
        return message.to_api()

    async def _edit_message_reply_markup(self, p: _Params) -> JSONDict:
        chat, message = self._editable(p)
        markup = self._edited_markup(message, self._markup(p, inline_only=True))
        if markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        chat._edit(message, None, markup, mark_edited=False)
        return message.to_api()

    async def _delete_message(self, p: _Params) -> bool:
        chat = self._known_chat(p)
        message_id = p.get_int("message_id")
        message = chat.messages.get(message_id) if message_id is not None else None
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        chat._bump(message)
        return True

    async def _delete_messages(self, p: _Params) -> bool:
        chat = self._known_chat(p)
        ids = p.get_json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must contain 1-100 identifiers")
        for raw in ids:
            message = chat.messages.get(int(raw))
            if message is not None and not message.deleted:
                message.deleted = True
                chat._bump(message)
        return True

    # ------------------------------------------------------ misc methods
    async def _answer_callback_query(self, p: _Params) -> bool:
        query_id = p.get_str("callback_query_id") or ""
        state = self._callbacks.get(query_id)
        if state is None or state.answered:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = p.get_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        state.answered = True
        answer = CallbackAnswer(query_id, text, p.get_bool("show_alert"), p.get_str("url"))
        state.user.callback_answers.append(text)
        state.user.callback_log.append(answer)
        state.user._bump()
        return True

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if not isinstance(scope, dict) or not scope:
            return "default"
        return json.dumps(scope, sort_keys=True, separators=(",", ":"))

    def _commands_key(self, p: _Params) -> tuple[str, str]:
        scope = p.get_json("scope")
        if scope is not None and not isinstance(scope, dict):
            raise bad_request("can't parse BotCommandScope JSON object")
        if isinstance(scope, dict) and scope.get("type") == "default":
            scope = None
        return self._scope_key(scope), p.get_str("language_code") or ""

    async def _set_my_commands(self, p: _Params) -> bool:
        commands = p.get_json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        clean: list[JSONDict] = []
        for item in commands:
            if not isinstance(item, dict):
                raise bad_request("can't parse BotCommand JSON object")
            command = str(item.get("command", "")).lstrip("/")
            description = str(item.get("description", ""))
            if not _COMMAND_RE.match(command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("command description must be 1-256 characters")
            clean.append({"command": command, "description": description})
        key = self._commands_key(p)
        if clean:
            self._commands[key] = clean
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, p: _Params) -> list[JSONDict]:
        return list(self._commands.get(self._commands_key(p), []))

    async def _delete_my_commands(self, p: _Params) -> bool:
        self._commands.pop(self._commands_key(p), None)
        return True

    async def _set_message_reaction(self, p: _Params) -> bool:
        chat = self._known_chat(p)
        message_id = p.get_int("message_id")
        message = chat.messages.get(message_id) if message_id is not None else None
        if message is None or message.deleted:
            raise bad_request("MESSAGE_ID_INVALID")
        reaction = p.get_json("reaction")
        if reaction is None:
            reaction = []
        if not isinstance(reaction, list) or not all(isinstance(r, dict) and "type" in r for r in reaction):
            raise bad_request("can't parse reaction JSON object")
        if len(reaction) > 1:
            raise bad_request("REACTIONS_TOO_MANY")
        message.reactions = list(reaction)
        chat._bump(message)
        return True

    async def _send_chat_action(self, p: _Params) -> bool:
        chat = self._reachable_chat(p)
        action = p.get_str("action") or ""
        if action not in _ALLOWED_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.chat_actions.append(action)
        return True

    async def _get_chat(self, p: _Params) -> JSONDict:
        chat = self._known_chat(p)
        info: JSONDict = dict(chat.api_chat)
        info.update(
            accent_color_id=chat.id % 7,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        )
        return info


def iter_bot_messages(users: Iterable[SimUser]) -> list[EmuMessage]:
    """All bot messages of ``users`` ordered by the time they were stored."""
    return sorted((m for user in users for m in user.inbox), key=lambda m: m.stored_at)
