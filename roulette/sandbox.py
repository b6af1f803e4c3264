"""The local sandbox: embedded PostgreSQL, the Bot API emulator with its page, and the real bot.
A person plays several Telegram users side by side in the browser; no Telegram, no token needed."""

from __future__ import annotations

import asyncio

from pydantic import SecretStr

from roulette.settings import Settings
from roulette.storage.admin import create_database
from roulette.storage.admin import drop_database
from tgemulator import BotAPIEmulator
from tgemulator import EmulatorConfig
from tgemulator.page import serve_page

SANDBOX_TOKEN = "100000:ANOCHAT-SANDBOX"
SANDBOX_DATABASE = "anochat_sandbox"
DEFAULT_PORT = 8765


def sandbox_emulator() -> BotAPIEmulator:
    return BotAPIEmulator(
        config=EmulatorConfig(token=SANDBOX_TOKEN, bot_username="anochat_sandbox_bot", bot_first_name="Anochat")
    )


async def run_sandbox(settings: Settings, *, port: int = DEFAULT_PORT, stop: asyncio.Event | None = None) -> int:
    from roulette.bot.app import resolve_database_url
    from roulette.bot.app import run_polling
    from roulette.bot.app import stop_on_signals

    # A fresh database on every start: the simulated users are new each time, and nothing the
    # sandbox does can touch the bot's real data on the same server.
    server_url = resolve_database_url(settings)
    await drop_database(server_url, SANDBOX_DATABASE)
    database_url = await create_database(server_url, SANDBOX_DATABASE)
    emulator = sandbox_emulator()
    runner = await serve_page(emulator, port=port)
    bot_settings = settings.model_copy(
        update={
            "bot_token": SecretStr(SANDBOX_TOKEN),
            "telegram_api_url": emulator.base_url,
            "webhook_url": None,
            "database_url": database_url,
        }
    )
    stop = stop or stop_on_signals()
    print(
        f"\n  Anochat sandbox: open {emulator.base_url}/ in your browser.\n"
        "  Every user on the page is a simulated Telegram user talking to the real bot.\n"
        "  Press Ctrl-C to stop.\n",
        flush=True,
    )
    try:
        await run_polling(bot_settings, stop=stop)
    finally:
        await emulator.stop()
        await runner.cleanup()
    print("Sandbox stopped.", flush=True)
    return 0
