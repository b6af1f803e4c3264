"""The sandbox page: a browser view of several simulated users side by side, served with the
emulator on one address (same origin, so the page calls the user API directly)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .server import BotAPIEmulator

STATIC_DIR = Path(__file__).resolve().parent / "static"
SAMPLE_FILE_ID_PREFIX = "AgACAgIAAxkBAAIsample-"

page_routes = web.RouteTableDef()


@page_routes.get("/")
async def index(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


@page_routes.get("/sandbox/samples")
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


page_routes.static("/static/", STATIC_DIR)


def build_page_application(emulator: BotAPIEmulator) -> web.Application:
    """The emulator's Bot API and user API, plus the page and its files."""
    app = emulator.make_app()
    app.router.add_routes(page_routes)
    return app


async def serve_page(emulator: BotAPIEmulator, host: str = "127.0.0.1", port: int = 0) -> web.AppRunner:
    """Serve the page and the emulator on ``host:port``, or on a free port if another program has it.

    The address is reused (SO_REUSEADDR): connections of the previous run linger in TIME_WAIT for
    a minute after a restart, and without it the port would look taken, the sandbox would move,
    and the open tab could never find it again.
    """
    runner = web.AppRunner(build_page_application(emulator), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError:
        await site.stop()
        if not port:
            await runner.cleanup()
            raise
        await web.TCPSite(runner, host, 0, reuse_address=True).start()
    emulator.host, emulator.port = host, int(runner.addresses[0][1])
    return runner
