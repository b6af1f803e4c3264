"""The operator's endpoints: /healthz (liveness), /readyz (the database answers), /metrics.

Served by the webhook server, and in polling mode on METRICS_PORT (off by default).
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client import generate_latest

from roulette.bot.metrics import ACTIVE_CHATS
from roulette.bot.metrics import REGISTRY
from roulette.bot.metrics import SEARCHING
from roulette.storage.figures import database_answers
from roulette.storage.figures import read_live_figures

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 2.0


def add_probe_routes(web_app: web.Application, pool: asyncpg.Pool[Any]) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        # liveness only: a process whose database is away is alive, and must not be restarted for it
        return web.json_response({"ok": True})

    async def readyz(_request: web.Request) -> web.Response:
        if await database_answers(pool, READY_TIMEOUT_SECONDS):
            return web.json_response({"ok": True})
        return web.json_response({"ok": False, "database": "not answering"}, status=503)

    async def metrics(_request: web.Request) -> web.Response:
        try:
            figures = await read_live_figures(pool)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            # the in-process metrics are still worth a scrape; the gauges keep their last value
            log.warning("live figures unavailable for /metrics (%s)", type(error).__name__)
        else:
            ACTIVE_CHATS.set(figures.active_chats)
            SEARCHING.labels("adults").set(figures.searching_adults)
            SEARCHING.labels("minors").set(figures.searching_minors)
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", metrics)


async def serve_probes(pool: asyncpg.Pool[Any], host: str, port: int) -> web.AppRunner:
    """The endpoints on their own port (polling mode); cleanup() the runner to stop."""
    web_app = web.Application()
    add_probe_routes(web_app, pool)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("metrics and probes on %s:%s", host, port)
    return runner
