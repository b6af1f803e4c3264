"""The door of webhook mode: aiogram's request handler, refusing what it should refuse quietly."""

from __future__ import annotations

import logging
import secrets

from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from roulette.bot.incoming import parse_update

log = logging.getLogger(__name__)
# What a webhook answers when it has no method to reply with.
EMPTY_ANSWER = b"{}"


class UpdateRequestHandler(SimpleRequestHandler):
    """Answers Telegram only after the update was handled (see docs/reliability.md), and:

    - a secret header with non-ASCII bytes is a wrong secret (401), not a crash: anyone can send
      one, and each would leave a traceback in the logs;
    - an update that cannot be parsed is logged and answered 200, since Telegram would only
      deliver it again, and again (roulette.bot.incoming);
    - the update is handled in the request's own task. aiogram's `feed_webhook_update` wraps each
      one in a second task with a 55 s timer, so that a slow handler's answer could go out
      early; here the answer always waits for the handling (docs/reliability.md), so the wrapper
      only cost ~30 µs per update (docs/performance.md). A handler slower than Telegram's 60 s
      gets its update delivered again, which the update-id record turns into a no-op.
    """

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        if not self.secret_token:
            return True
        # compare_digest refuses str with non-ASCII characters; bytes compare whatever was sent
        sent = telegram_secret_token.encode("utf-8", "surrogateescape")
        return secrets.compare_digest(sent, self.secret_token.encode())

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            raw = await request.json(loads=bot.session.json_loads)
        except ValueError:
            log.warning("a webhook request with the right secret but no JSON body was refused")
            return web.Response(status=400, text="Bad Request")
        update = parse_update(raw, bot)
        if update is None:
            return web.Response(body=EMPTY_ANSWER, content_type="application/json")
        result = await self.dispatcher.feed_update(bot, update, **self.data)
        if isinstance(result, TelegramMethod):  # a handler's answer given as the webhook's reply
            return web.Response(body=self._build_response_writer(bot=bot, result=result))
        return web.Response(body=EMPTY_ANSWER, content_type="application/json")
