"""HTTP user-side API of the Bot API emulator (``/_emu/...``).

The routes are documented in :mod:`roulette.sandbox.emulator`.  They let a
browser page or another process act as simulated users and read their chats.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .emulator_state import FILE_KINDS, ApiError

if TYPE_CHECKING:
    from .emulator import BotAPIEmulator, SimUser

PREFIX = "/_emu"
_MAX_WAIT = 60.0

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _UserApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result}, dumps=lambda v: json.dumps(v, ensure_ascii=False))


@web.middleware
async def _cors(request: web.Request, handler: RouteHandler) -> web.StreamResponse:
    if not request.path.startswith(PREFIX):
        return await handler(request)
    if request.method == "OPTIONS":
        response: web.StreamResponse = web.Response()
    else:
        try:
            response = await handler(request)
        except _UserApiError as exc:
            response = web.json_response({"ok": False, "error": exc.message}, status=exc.status)
        except ApiError as exc:
            response = web.json_response({"ok": False, "error": exc.description}, status=exc.status)
        except (ValueError, RuntimeError, LookupError, TypeError) as exc:
            response = web.json_response({"ok": False, "error": str(exc)}, status=400)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    return response


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    if request.content_type == "application/json":
        raw = await request.read()
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            raise _UserApiError(400, "invalid JSON body") from None
        if not isinstance(data, dict):
            raise _UserApiError(400, "JSON object expected")
        return data
    form = await request.post()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _opt_int(data: dict[str, Any] | Any, key: str) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _UserApiError(400, f"{key} must be an integer") from None


def _req_int(data: dict[str, Any] | Any, key: str) -> int:
    value = _opt_int(data, key)
    if value is None:
        raise _UserApiError(400, f"{key} is required")
    return value


def setup_user_api(app: web.Application, emu: BotAPIEmulator) -> None:
    """Register the ``/_emu`` routes of ``emu`` on ``app``."""
    app.middlewares.append(_cors)

    def find_user(request: web.Request) -> SimUser:
        try:
            user_id = int(request.match_info["user_id"])
            return emu.get_user(user_id)
        except (KeyError, ValueError):
            raise _UserApiError(404, "user not found") from None

    async def index(request: web.Request) -> web.Response:
        return _ok(
            {
                "bot": emu.bot_user,
                "base_url": emu.base_url,
                "users": [user.to_dict() for user in emu.users],
                "webhook": {"url": emu.webhook.url, "pending": emu.pending_updates},
            }
        )

    async def list_users(request: web.Request) -> web.Response:
        return _ok([user.to_dict() for user in emu.users])

    async def create_user(request: web.Request) -> web.Response:
        data = await _body(request)
        user = emu.user(
            str(data.get("first_name") or "User"),
            id=_opt_int(data, "id"),
            last_name=data.get("last_name") or None,
            username=data.get("username") or None,
            language_code=data.get("language_code") or "en",
        )
        return _ok(user.to_dict())

    async def get_user(request: web.Request) -> web.Response:
        return _ok(find_user(request).to_dict())

    async def send(request: web.Request) -> web.Response:
        user = find_user(request)
        data = await _body(request)
        reply_to = _opt_int(data, "reply_to")
        caption = data.get("caption") or None
        if data.get("kinds"):
            kinds = data["kinds"]
            if not isinstance(kinds, list):
                raise _UserApiError(400, "kinds must be a list")
            ids = await user.send_album([str(k) for k in kinds], caption, reply_to=reply_to)
            return _ok({"message_ids": ids})
        if data.get("command"):
            args = data.get("args") or None
            message_id = await user.send_command(str(data["command"]), args, reply_to=reply_to)
        elif data.get("kind") and data["kind"] != "text":
            kind = str(data["kind"])
            if kind == "dice":
                message_id = await user.send_dice(str(data.get("emoji") or "🎲"), reply_to=reply_to)
            elif kind == "location":
                message_id = await user.send_location(reply_to=reply_to)
            elif kind == "contact":
                message_id = await user.send_contact(reply_to=reply_to)
            elif kind == "poll":
                message_id = await user.send_poll(reply_to=reply_to)
            elif kind in FILE_KINDS:
                message_id = await user.send_media(
                    kind,
                    caption,
                    file_id=data.get("file_id") or None,
                    reply_to=reply_to,
                    emoji=data.get("emoji") or None,
                )
            else:
                raise _UserApiError(400, f"unknown kind {kind!r}")
        else:
            text = data.get("text")
            if not isinstance(text, str) or not text.strip():
                raise _UserApiError(400, "text is required")
            message_id = await user.send_text(text, reply_to=reply_to)
        return _ok({"message_id": message_id})

    async def edit(request: web.Request) -> web.Response:
        user = find_user(request)
        data = await _body(request)
        message_id = _req_int(data, "message_id")
        if "text" in data:
            await user.edit_text(message_id, str(data["text"]))
        elif "caption" in data:
            await user.edit_caption(message_id, data["caption"] or None)
        else:
            raise _UserApiError(400, "text or caption is required")
        return _ok(user.message(message_id).to_dict())

    async def press(request: web.Request) -> web.Response:
        user = find_user(request)
        data = await _body(request)
        message_id = _req_int(data, "message_id")
        if data.get("data") is not None:
            query_id = await user.press(message_id, str(data["data"]))
        elif data.get("text") is not None:
            query_id = await user.press_button(message_id, str(data["text"]))
        else:
            raise _UserApiError(400, "data or text is required")
        return _ok({"callback_query_id": query_id})

    async def react(request: web.Request) -> web.Response:
        user = find_user(request)
        data = await _body(request)
        await user.react(_req_int(data, "message_id"), data.get("emoji") or None)
        return _ok(True)

    async def block(request: web.Request) -> web.Response:
        user = find_user(request)
        await user.block_bot()
        return _ok(user.to_dict())

    async def unblock(request: web.Request) -> web.Response:
        user = find_user(request)
        await user.unblock_bot()
        return _ok(user.to_dict())

    async def messages(request: web.Request) -> web.Response:
        user = find_user(request)
        after = _opt_int(request.query, "after")
        since = _opt_int(request.query, "since")
        try:
            timeout = min(float(request.query.get("timeout", "0") or 0), _MAX_WAIT)
        except ValueError:
            raise _UserApiError(400, "timeout must be a number") from None

        def select() -> list[dict[str, Any]]:
            if after is None and since is None:
                return [m.to_dict() for m in user.messages.values()]
            return [
                m.to_dict()
                for m in user.messages.values()
                if (after is not None and m.message_id > after) or (since is not None and m.rev > since)
            ]

        def fresh() -> bool:
            return bool(found) or (since is not None and user.rev > since)

        loop = asyncio.get_running_loop()
        found = select()
        remaining = timeout
        while not fresh() and remaining > 0 and not emu.closing:
            started = loop.time()
            if not await user.wait_changed(remaining):
                break
            remaining -= loop.time() - started
            found = select()
        return _ok(
            {
                "messages": found,
                "rev": user.rev,
                "reply_keyboard": user.reply_keyboard,
                "blocked": user.blocked,
            }
        )

    async def callback_answers(request: web.Request) -> web.Response:
        user = find_user(request)
        return _ok(
            [
                {"query_id": a.query_id, "text": a.text, "show_alert": a.show_alert, "url": a.url}
                for a in user.callback_log
            ]
        )

    async def stats(request: web.Request) -> web.Response:
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

    async def add_fault(request: web.Request) -> web.Response:
        data = await _body(request)
        fault = emu.fail_next(
            data.get("method") or None,
            _opt_int(data, "status") or 429,
            retry_after=_opt_int(data, "retry_after") or 1,
            count=_opt_int(data, "count") or 1,
            chat_id=_opt_int(data, "chat_id"),
            description=data.get("description") or None,
            apply=bool(data.get("apply")),
        )
        return _ok({"method": fault.method, "status": fault.status, "count": fault.remaining})

    async def clear_faults(request: web.Request) -> web.Response:
        emu.clear_faults()
        return _ok(True)

    async def delay(request: web.Request) -> web.Response:
        data = await _body(request)
        try:
            seconds = float(data.get("seconds", 0) or 0)
        except (TypeError, ValueError):
            raise _UserApiError(400, "seconds must be a number") from None
        emu.set_delay(data.get("method") or None, seconds)
        return _ok(True)

    async def preflight(request: web.Request) -> web.Response:
        return web.Response()

    base = f"{PREFIX}/users/{{user_id}}"
    app.router.add_get(PREFIX, index)
    app.router.add_get(f"{PREFIX}/users", list_users)
    app.router.add_post(f"{PREFIX}/users", create_user)
    app.router.add_get(base, get_user)
    app.router.add_post(f"{base}/send", send)
    app.router.add_post(f"{base}/edit", edit)
    app.router.add_post(f"{base}/press", press)
    app.router.add_post(f"{base}/react", react)
    app.router.add_post(f"{base}/block", block)
    app.router.add_post(f"{base}/unblock", unblock)
    app.router.add_get(f"{base}/messages", messages)
    app.router.add_get(f"{base}/callback_answers", callback_answers)
    app.router.add_get(f"{PREFIX}/stats", stats)
    app.router.add_post(f"{PREFIX}/faults", add_fault)
    app.router.add_delete(f"{PREFIX}/faults", clear_faults)
    app.router.add_post(f"{PREFIX}/delay", delay)
    app.router.add_route("OPTIONS", PREFIX + "/{tail:.*}", preflight)
