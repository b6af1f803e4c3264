"""Metrics: counted where things happen, exposed on /metrics; /readyz says whether the database answers."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from roulette.bot.app import App
from roulette.bot.incoming import parse_update
from roulette.bot.metrics import REGISTRY
from roulette.bot.probes import serve_probes
from roulette.storage.pool import create_pool
from tests.support.bot_process import free_port
from tests.support.bot_process import running_bot
from tests.support.bot_process import running_webhook_bot
from tests.support.flows import ADMIN_ID
from tests.support.flows import ended_chat
from tests.support.flows import start_chat
from tests.support.live import WAIT
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import tg_user
from tgemulator import BotAPIEmulator

Metric = tuple[str, dict[str, str]]


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Deltas:
    """Metric values now, to compare with later (the counters live as long as the process)."""

    def __init__(self, *metrics: Metric) -> None:
        self._before = [(metric, value(metric[0], **metric[1])) for metric in metrics]

    def __call__(self, metric: Metric) -> float:
        [before] = [before for known, before in self._before if known == metric]
        return value(metric[0], **metric[1]) - before


HANDLED_MESSAGES: Metric = ("anochat_updates_total", {"kind": "message", "outcome": "handled"})
DUPLICATE_MESSAGES: Metric = ("anochat_updates_total", {"kind": "message", "outcome": "duplicate"})
UNPARSEABLE: Metric = ("anochat_updates_total", {"kind": "unknown", "outcome": "unparseable"})
RELAYED: Metric = ("anochat_relay_seconds_count", {})
SEARCHES: Metric = ("anochat_search_seconds_count", {})
FORBIDDEN_COPIES: Metric = ("anochat_bot_api_errors_total", {"method": "copyMessage", "code": "403"})
FLOOD_HOLDS: Metric = ("anochat_flood_holds_total", {})
SPAM_REPORTS: Metric = ("anochat_reports_total", {"reason": "spam"})
ADMIN_BANS: Metric = ("anochat_bans_total", {"by": "admin"})


async def test_updates_relays_searches_and_bot_api_errors_are_counted(app: App, telegram: FakeTelegram) -> None:
    deltas = Deltas(HANDLED_MESSAGES, DUPLICATE_MESSAGES, UNPARSEABLE, RELAYED, SEARCHES, FORBIDDEN_COPIES)
    alice, bob = tg_user(9101, "en", "Alice"), tg_user(9102, "en", "Bob")
    await start_chat(app, alice, bob)
    assert deltas(SEARCHES) == 2

    hello = message_update(alice, "hello")
    await app.dispatcher.feed_update(app.bot, hello)
    await app.dispatcher.feed_update(app.bot, hello)  # delivered again: the relay's own key drops it
    assert len(telegram.copies_to(bob.id)) == 1
    assert deltas(RELAYED) == 1

    telegram.blocked.add(bob.id)
    await app.dispatcher.feed_update(app.bot, message_update(alice, "are you there?"))
    assert deltas(FORBIDDEN_COPIES) == 1

    search = message_update(alice, "/search")
    await app.dispatcher.feed_update(app.bot, search)
    await app.dispatcher.feed_update(app.bot, search)  # delivered again: ExactlyOnce drops it
    assert deltas(DUPLICATE_MESSAGES) == 1

    assert parse_update({"update_id": 1, "message": {"chat": {}}}, app.bot) is None
    assert deltas(UNPARSEABLE) == 1
    assert deltas(HANDLED_MESSAGES) >= 5  # /start, age, /search and texts of both


async def test_flood_holds_reports_and_bans_are_counted(
    pool: asyncpg.Pool[Any], telegram: FakeTelegram, app: App
) -> None:
    deltas = Deltas(FLOOD_HOLDS, SPAM_REPORTS, ADMIN_BANS)
    alice, bob = tg_user(9201, "en", "Alice"), tg_user(9202, "en", "Bob")
    await start_chat(app, alice, bob)
    for n in range(app.settings.flood_max_messages + 2):
        await app.dispatcher.feed_update(app.bot, message_update(alice, f"#{n}"))
    assert deltas(FLOOD_HOLDS) == 2

    carol, dave = tg_user(9203, "en", "Carol"), tg_user(9204, "en", "Dave")
    chat_id = await ended_chat(app, carol, dave)
    await app.dispatcher.feed_update(app.bot, callback_update(carol, f"rp:{chat_id}:spam:1:0"))
    assert deltas(SPAM_REPORTS) == 1

    admin = tg_user(ADMIN_ID, "en", "Admin")
    await app.dispatcher.feed_update(app.bot, message_update(admin, f"/ban {dave.id} 1"))
    await app.dispatcher.feed_update(app.bot, message_update(admin, "/ban 123456 1"))  # nobody: not a ban
    assert deltas(ADMIN_BANS) == 1


# --- the endpoints --------------------------------------------------------------------------------


@asynccontextmanager
async def serving_probes(pool: asyncpg.Pool[Any]) -> AsyncIterator[str]:
    port = free_port()
    runner = await serve_probes(pool, "127.0.0.1", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def probes(pool: asyncpg.Pool[Any]) -> AsyncIterator[str]:
    async with serving_probes(pool) as base:
        yield base


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_show_the_people_searching_per_pool_and_the_active_chats(
    app: App, probes: str, telegram: FakeTelegram
) -> None:
    await start_chat(app, tg_user(9301, "en", "A"), tg_user(9302, "en", "B"))
    await start_chat(app, tg_user(9303, "en", "C"), tg_user(9304, "en", "D"))
    for user_id, age in ((9305, "30"), (9306, "15")):  # an adult and a minor: never paired
        user = tg_user(user_id, "en", "Waiting")
        await app.dispatcher.feed_update(app.bot, message_update(user, "/start"))
        await app.dispatcher.feed_update(app.bot, callback_update(user, "g:female:0"))
        await app.dispatcher.feed_update(app.bot, message_update(user, age))
        await app.dispatcher.feed_update(app.bot, callback_update(user, "i:done:0"))
        await app.dispatcher.feed_update(app.bot, message_update(user, "/search"))

    async with aiohttp.ClientSession() as http, http.get(f"{probes}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        scraped = samples(await response.text())
    assert scraped[("anochat_active_chats", ())] == 2
    assert scraped[("anochat_searching_users", (("pool", "adults"),))] == 1
    assert scraped[("anochat_searching_users", (("pool", "minors"),))] == 1
    assert scraped[("anochat_updates_total", (("kind", "message"), ("outcome", "handled")))] >= 1


async def test_readyz_says_whether_the_database_answers_and_healthz_only_that_the_process_lives(
    database_url: str,
) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    async with serving_probes(pool) as base, aiohttp.ClientSession() as http:
        async with http.get(f"{base}/readyz") as ready:
            assert ready.status == 200
        await pool.close()  # the database is gone, as far as this process can tell
        async with http.get(f"{base}/readyz") as ready:
            assert ready.status == 503
        async with http.get(f"{base}/healthz") as alive:
            assert alive.status == 200
        async with http.get(f"{base}/metrics") as metrics:
            assert metrics.status == 200  # the in-process counters are still worth a scrape


# --- through the real process ---------------------------------------------------------------------


async def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        return samples(await response.text())


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
HANDLED_KEY = ("anochat_updates_total", (("kind", "message"), ("outcome", "handled")))


async def scrape_until(url: str, check: Callable[[Samples], bool]) -> Samples:
    deadline = time.monotonic() + WAIT
    while not check(figures := await scrape(url)):
        assert time.monotonic() < deadline, figures
        await asyncio.sleep(0.05)
    return figures


@pytest.mark.e2e
async def test_a_polling_bot_serves_metrics_on_metrics_port(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    async with running_bot(emulator, database_url, tmp_path, METRICS_PORT=str(port), HOST="127.0.0.1"):
        user = emulator.user("Counted")
        await user.send_command("/start")
        await user.wait_for_text("gender", WAIT)
        url = f"http://127.0.0.1:{port}"
        # the update is counted once its handler has returned, just after the answer was sent
        figures = await scrape_until(f"{url}/metrics", lambda figures: figures.get(HANDLED_KEY, 0) >= 1)
        assert figures[("anochat_search_seconds_count", ())] == 0
        async with aiohttp.ClientSession() as http, http.get(f"{url}/readyz") as ready:
            assert ready.status == 200


@pytest.mark.e2e
async def test_without_metrics_port_a_polling_bot_listens_on_no_port(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    async with running_bot(emulator, database_url, tmp_path, HOST="127.0.0.1", PORT=str(port)):
        user = emulator.user("Uncounted")
        await user.send_command("/start")
        await user.wait_for_text("gender", WAIT)
        with pytest.raises(aiohttp.ClientConnectionError):
            await scrape(f"http://127.0.0.1:{port}/metrics")


@pytest.mark.e2e
async def test_a_webhook_bot_serves_metrics_and_readyz_beside_the_webhook(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    async with running_webhook_bot(emulator, database_url, tmp_path, "metrics-secret") as (bot, base):
        await bot.wait_serving(f"{base}/readyz")
        user = emulator.user("Counted")
        await user.send_command("/start")
        await user.wait_for_text("gender", WAIT)
        figures = await scrape_until(f"{base}/metrics", lambda figures: figures.get(HANDLED_KEY, 0) >= 1)
        assert ("anochat_searching_users", (("pool", "adults"),)) in figures


def test_the_dashboard_and_the_operations_page_name_only_metrics_that_exist() -> None:
    suffixes = {"counter": ("_total",), "histogram": ("", "_bucket", "_count", "_sum"), "gauge": ("",)}
    exported = {family.name + suffix for family in REGISTRY.collect() for suffix in suffixes[family.type]}
    root = Path(__file__).resolve().parents[1]
    for document in ("docs/grafana-dashboard.json", "docs/operations.md"):
        named = set(re.findall(r"anochat_[a-z_]+", (root / document).read_text()))
        assert named and named <= exported, (document, named - exported)
