"""The local sandbox: embedded PostgreSQL, the Bot API emulator, the real bot, and a web page
where a person plays several Telegram users side by side. No Telegram, no token needed."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

from aiohttp import web
from pydantic import SecretStr

from roulette.sandbox.emulator import BotAPIEmulator, EmulatorConfig
from roulette.settings import Settings
from roulette.storage.admin import create_database, drop_database

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
SANDBOX_TOKEN = "100000:ANOCHAT-SANDBOX"
SANDBOX_DATABASE = "anochat_sandbox"
DEFAULT_PORT = 8765
SAMPLE_FILE_ID_PREFIX = "AgACAgIAAxkBAAIsample-"


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def build_sandbox_application(emulator: BotAPIEmulator) -> web.Application:
    """The emulator's Bot API and user API, plus the page and its files."""
    app = emulator.make_app()

    async def index(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / "index.html")

    async def samples(_request: web.Request) -> web.Response:
        """The bundled sample pictures the page can send as photos, with the file id it sends them under."""
        return web.json_response(
            [
                {
                    "name": path.stem,
                    "url": f"/static/samples/{path.name}",
                    "file_id": f"{SAMPLE_FILE_ID_PREFIX}{path.stem}",
                }
                for path in sorted((STATIC_DIR / "samples").glob("*.png"))
            ]
        )

    app.router.add_get("/", index)
    app.router.add_get("/sandbox/samples", samples)
    app.router.add_static("/static/", STATIC_DIR)
    return app


async def start_sandbox_server(
    emulator: BotAPIEmulator, host: str = "127.0.0.1", port: int = DEFAULT_PORT
) -> web.AppRunner:
    """Serve the page and the emulator on `host:port` (another free port if taken)."""
    if port and not _port_is_free(host, port):
        port = 0
    runner = web.AppRunner(build_sandbox_application(emulator), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    emulator.host, emulator.port = host, int(runner.addresses[0][1])
    return runner


async def run_sandbox(settings: Settings, *, port: int = DEFAULT_PORT, stop: asyncio.Event | None = None) -> int:
    from roulette.bot.app import resolve_database_url, run_polling, stop_on_signals

    # A fresh database on every start: the simulated users are new each time, and nothing the
    # sandbox does can touch the bot's real data on the same server.
    server_url = resolve_database_url(settings)
    await drop_database(server_url, SANDBOX_DATABASE)
    database_url = await create_database(server_url, SANDBOX_DATABASE)
    config = EmulatorConfig(token=SANDBOX_TOKEN, bot_username="anochat_sandbox_bot", bot_first_name="Anochat")
    emulator = BotAPIEmulator(config=config)
    runner = await start_sandbox_server(emulator, port=port)
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
