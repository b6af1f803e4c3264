"""The yardstick for bench_relay.py: the least a relay bot can do on aiogram.

Partners come from a JSON file (`BASELINE_PAIRS`: a list of [user_id, user_id] pairs) and
stay in a dict; every message is copied to the partner. No database, no ordering, no flood
guard, no translations. Same settings as Anochat where they overlap:

    BOT_TOKEN, TELEGRAM_API_URL          the Bot API server (the emulator)
    WEBHOOK_URL, WEBHOOK_SECRET          set: an aiohttp webhook server on HOST:PORT at WEBHOOK_PATH
                                         (answering after the update is handled, like Anochat)
    BASELINE_PAIRS                       path of the pairs file

    python bench/baseline_bot.py
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from pathlib import Path

from aiogram import Bot
from aiogram import Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from aiohttp import web


def load_partners(path: Path) -> dict[int, int]:
    partners: dict[int, int] = {}
    for first, second in json.loads(path.read_text(encoding="utf-8")):
        partners[int(first)] = int(second)
        partners[int(second)] = int(first)
    return partners


def build_dispatcher(partners: dict[int, int]) -> Dispatcher:
    dispatcher = Dispatcher()

    async def relay(message: Message, bot: Bot) -> None:
        partner = partners.get(message.chat.id)
        if partner is not None:
            await bot.copy_message(partner, message.chat.id, message.message_id, protect_content=True)

    dispatcher.message.register(relay)
    return dispatcher


async def run_webhook(bot: Bot, dispatcher: Dispatcher, url: str, secret: str) -> None:
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler

    path = os.environ.get("WEBHOOK_PATH", "/webhook")
    app = web.Application()

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app.router.add_get("/healthz", healthz)
    SimpleRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=secret, handle_in_background=False).register(
        app, path=path
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8080")))
    await site.start()
    await bot.set_webhook(url.rstrip("/") + path, secret_token=secret, allowed_updates=["message"])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def main() -> None:
    partners = load_partners(Path(os.environ["BASELINE_PAIRS"]))
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    dispatcher = build_dispatcher(partners)
    try:
        url, secret = os.environ.get("WEBHOOK_URL"), os.environ.get("WEBHOOK_SECRET")
        if url and secret:
            await run_webhook(bot, dispatcher, url, secret)
        else:
            await bot.delete_webhook()
            # aiogram's own polling stops on SIGINT/SIGTERM
            await dispatcher.start_polling(bot, allowed_updates=["message"], handle_signals=True)
    finally:
        await bot.session.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())
