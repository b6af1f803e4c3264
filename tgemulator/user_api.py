"""The user side of the emulator over HTTP (``/_emu/...``): the sandbox page and other processes act
as simulated users and read their chats.

Every answer is ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}``. Bodies are
JSON objects, validated by the pydantic models below.

``GET  /_emu``                                  bot, users, webhook summary
``GET  /_emu/users`` / ``POST /_emu/users``     list / create (``NewUser``)
``GET  /_emu/users/{id}``                       one user
``POST /_emu/users/{id}/send``                  ``Send``: text, a command, a media kind or an album;
                                                result ``{"message_id"}`` or ``{"message_ids"}``
``POST /_emu/users/{id}/edit``                  ``Edit``: ``{"message_id", "text"|"caption"}``
``POST /_emu/users/{id}/press``                 ``Press``: ``{"message_id", "data"|"text"}`` (``text`` presses
                                                the inline button with that label); result ``{"callback_query_id"}``
``POST /_emu/users/{id}/react``                 ``React``: ``{"message_id", "emoji"}`` (null clears); the bot
                                                gets ``message_reaction`` if its ``allowed_updates`` ask
``POST /_emu/users/{id}/block`` / ``unblock``
``GET  /_emu/users/{id}/messages?after=<message_id>&since=<rev>&timeout=<s>``
        the chat in order (both directions, keyboards, edit/delete state): messages with id >
        ``after`` or changed after revision ``since``, waiting up to ``timeout`` seconds while
        there are none. Result ``{"messages", "rev", "reply_keyboard", "commands", "blocked"}``
        (``commands``: the bot's command menu for this user, see ``methods.interaction.commands_for``)
``GET  /_emu/users/{id}/callback_answers``
``GET  /_emu/stats``                            counters and webhook state
``POST /_emu/faults`` (``NewFault``), ``DELETE /_emu/faults``, ``POST /_emu/delay`` (``Delay``)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationError

from .methods.interaction import commands_for
from .models import FILE_KINDS
from .models import ApiError

if TYPE_CHECKING:
    from .server import BotAPIEmulator
    from .users import SimUser

PREFIX = "/_emu"
MAX_WAIT_SECONDS = 60.0

user_api_routes = web.RouteTableDef()
Model = TypeVar("Model", bound=BaseModel)
RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class NewUser(Body):
    first_name: str = Field(default="User", min_length=1, max_length=64)
    last_name: str | None = None
    username: str | None = None
    language_code: str = "en"
    id: int | None = None


class Send(Body):
    text: str | None = None
    command: str | None = None
    args: str | None = None
    kind: str | None = None
    kinds: list[str] | None = None
    caption: str | None = None
    file_id: str | None = None
    emoji: str | None = None
    reply_to: int | None = None


class Edit(Body):
    message_id: int
    text: str | None = None
    caption: str | None = None


class Press(Body):
    message_id: int
    data: str | None = None
    text: str | None = None


class React(Body):
    message_id: int
    emoji: str | None = None


class NewFault(Body):
    method: str | None = None
    status: int = 429
    retry_after: int = 1
    count: int = 1
    chat_id: int | None = None
    description: str | None = None
    apply: bool = False


class Delay(Body):
    method: str | None = None
    seconds: float = 0.0


class ChatQuery(Body):
    after: int | None = None
    since: int | None = None
    timeout: float = Field(default=0.0, ge=0.0)


class UserApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result}, dumps=lambda v: json.dumps(v, ensure_ascii=False))


def _failure(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


@web.middleware
async def user_api_errors(request: web.Request, handler: RouteHandler) -> web.StreamResponse:
    """Whatever goes wrong in a user action is answered as ``{"ok": false, "error"}``."""
    if not request.path.startswith(PREFIX):
        return await handler(request)
    try:
        return await handler(request)
    except UserApiError as exc:
        return _failure(exc.status, exc.message)
    except ApiError as exc:
        return _failure(exc.status, exc.description)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in error["loc"]) or "body"
        return _failure(400, f"{field}: {error['msg']}")
    except (ValueError, RuntimeError, LookupError, TypeError) as exc:
        return _failure(400, str(exc))


async def _body(request: web.Request, model: type[Model]) -> Model:
    raw = await request.read() if request.body_exists else b""
    if not raw:
        return model.model_validate({})
    return model.model_validate_json(raw)


def _emulator(request: web.Request) -> BotAPIEmulator:
    from .server import EMULATOR

    return request.app[EMULATOR]


def _user(request: web.Request) -> SimUser:
    try:
        return _emulator(request).get_user(int(request.match_info["user_id"]))
    except (KeyError, ValueError):
        raise UserApiError(404, "user not found") from None


USER = PREFIX + "/users/{user_id}"


@user_api_routes.get(PREFIX)
async def index(request: web.Request) -> web.Response:
    emu = _emulator(request)
    return _ok(
        {
            "bot": emu.bot_user,
            "base_url": emu.base_url,
            "users": [user.to_dict() for user in emu.users],
            "webhook": {"url": emu.webhook.url, "pending": emu.pending_updates},
        }
    )


@user_api_routes.get(PREFIX + "/users")
async def list_users(request: web.Request) -> web.Response:
    return _ok([user.to_dict() for user in _emulator(request).users])


@user_api_routes.post(PREFIX + "/users")
async def create_user(request: web.Request) -> web.Response:
    body = await _body(request, NewUser)
    user = _emulator(request).user(
        body.first_name,
        id=body.id,
        last_name=body.last_name or None,
        username=body.username or None,
        language_code=body.language_code or "en",
    )
    return _ok(user.to_dict())


@user_api_routes.get(USER)
async def get_user(request: web.Request) -> web.Response:
    return _ok(_user(request).to_dict())


async def _send_kind(user: SimUser, body: Send, kind: str) -> int:
    if kind == "dice":
        return await user.send_dice(body.emoji or "🎲", reply_to=body.reply_to)
    if kind == "location":
        return await user.send_location(reply_to=body.reply_to)
    if kind == "contact":
        return await user.send_contact(reply_to=body.reply_to)
    if kind == "poll":
        return await user.send_poll(reply_to=body.reply_to)
    if kind in FILE_KINDS:
        return await user.send_media(
            kind, body.caption or None, file_id=body.file_id or None, reply_to=body.reply_to, emoji=body.emoji
        )
    raise UserApiError(400, f"unknown kind {kind!r}")


@user_api_routes.post(USER + "/send")
async def send(request: web.Request) -> web.Response:
    user = _user(request)
    body = await _body(request, Send)
    if body.kinds:
        return _ok({"message_ids": await user.send_album(body.kinds, body.caption or None, reply_to=body.reply_to)})
    if body.command:
        message_id = await user.send_command(body.command, body.args or None, reply_to=body.reply_to)
    elif body.kind and body.kind != "text":
        message_id = await _send_kind(user, body, body.kind)
    elif body.text and body.text.strip():
        message_id = await user.send_text(body.text, reply_to=body.reply_to)
    else:
        raise UserApiError(400, "text is required")
    return _ok({"message_id": message_id})


@user_api_routes.post(USER + "/edit")
async def edit(request: web.Request) -> web.Response:
    user = _user(request)
    body = await _body(request, Edit)
    if body.text is not None:
        await user.edit_text(body.message_id, body.text)
    elif "caption" in body.model_fields_set:
        await user.edit_caption(body.message_id, body.caption or None)
    else:
        raise UserApiError(400, "text or caption is required")
    return _ok(user.message(body.message_id).to_dict())


@user_api_routes.post(USER + "/press")
async def press(request: web.Request) -> web.Response:
    user = _user(request)
    body = await _body(request, Press)
    if body.data is not None:
        query_id = await user.press(body.message_id, body.data)
    elif body.text is not None:
        query_id = await user.press_button(body.message_id, body.text)
    else:
        raise UserApiError(400, "data or text is required")
    return _ok({"callback_query_id": query_id})


@user_api_routes.post(USER + "/react")
async def react(request: web.Request) -> web.Response:
    body = await _body(request, React)
    await _user(request).react(body.message_id, body.emoji or None)
    return _ok(True)


@user_api_routes.post(USER + "/block")
async def block(request: web.Request) -> web.Response:
    user = _user(request)
    await user.block_bot()
    return _ok(user.to_dict())


@user_api_routes.post(USER + "/unblock")
async def unblock(request: web.Request) -> web.Response:
    user = _user(request)
    await user.unblock_bot()
    return _ok(user.to_dict())


@user_api_routes.get(USER + "/messages")
async def messages(request: web.Request) -> web.Response:
    """The chat, or (long poll) what changed in it after ``since``/``after``."""
    user = _user(request)
    query = ChatQuery.model_validate(dict(request.query))

    def select() -> list[dict[str, Any]]:
        return [
            m.to_dict()
            for m in user.messages.values()
            if (query.after is None and query.since is None)
            or (query.after is not None and m.message_id > query.after)
            or (query.since is not None and m.rev > query.since)
        ]

    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(query.timeout, MAX_WAIT_SECONDS)
    found = select()
    while not found and not (query.since is not None and user.rev > query.since) and not _emulator(request).closing:
        remaining = deadline - loop.time()
        if remaining <= 0 or not await user.wait_changed(remaining):
            break
        found = select()
    return _ok(
        {
            "messages": found,
            "rev": user.rev,
            "reply_keyboard": user.reply_keyboard,
            "commands": commands_for(_emulator(request), user),
            "blocked": user.blocked,
        }
    )


@user_api_routes.get(USER + "/callback_answers")
async def callback_answers(request: web.Request) -> web.Response:
    return _ok(
        [
            {"query_id": a.query_id, "text": a.text, "show_alert": a.show_alert, "url": a.url}
            for a in _user(request).callback_log
        ]
    )


@user_api_routes.get(PREFIX + "/stats")
async def stats(request: web.Request) -> web.Response:
    emu = _emulator(request)
    hook = emu.webhook
    return _ok(
        {
            "calls": dict(emu.calls),
            "errors": dict(emu.errors),
            "sent_messages": len(emu.sent_log),
            "updates_emitted": emu.updates_emitted,
            "pending_updates": emu.pending_updates,
            "users": len(emu.users),
            "webhook": {
                "url": hook.url,
                "targets": hook.targets,
                "delivered": hook.delivered,
                "failed_attempts": hook.failed_attempts,
                "dropped": hook.dropped,
                "last_error_message": hook.last_error_message,
            },
        }
    )


@user_api_routes.post(PREFIX + "/faults")
async def add_fault(request: web.Request) -> web.Response:
    body = await _body(request, NewFault)
    fault = _emulator(request).fail_next(
        body.method or None,
        body.status,
        retry_after=body.retry_after,
        count=body.count,
        chat_id=body.chat_id,
        description=body.description or None,
        apply=body.apply,
    )
    return _ok({"method": fault.method, "status": fault.status, "count": fault.remaining})


@user_api_routes.delete(PREFIX + "/faults")
async def clear_faults(request: web.Request) -> web.Response:
    _emulator(request).clear_faults()
    return _ok(True)


@user_api_routes.post(PREFIX + "/delay")
async def delay(request: web.Request) -> web.Response:
    body = await _body(request, Delay)
    _emulator(request).set_delay(body.method or None, body.seconds)
    return _ok(True)
