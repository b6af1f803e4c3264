"""Exactly-once effects: an update delivered twice changes nothing the second time.

Telegram redelivers an update whenever it did not learn that the bot handled it (a webhook
answer lost, polling after a crash). Each scenario below brings the bot to the point where
an update matters, delivers it, snapshots every table, delivers it again and compares.

Also home of what the reliability suite shares: `snapshot`, `report` (the figures printed
at the end of the run) and `no_violations`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from aiogram.methods import TelegramMethod
from aiogram.types import Update, User

from roulette.bot.app import App
from roulette.invariants import find_violations
from roulette.usecases import InChat
from tests.conftest import ADMIN_ID
from tests.telegram_double import (
    FakeTelegram,
    album_updates,
    callback_update,
    edited_update,
    message_update,
    my_chat_member_update,
    photo,
    tg_user,
)
from tests.test_bot_flows import onboard

pytestmark = pytest.mark.reliability

# --- shared by the reliability suite ------------------------------------------------------------

# Every table holding an effect, each row as JSON without its bookkeeping timestamp.
SNAPSHOT_QUERIES = (
    "SELECT (to_jsonb(t) - 'updated_at')::text FROM users t",
    "SELECT to_jsonb(t)::text FROM search_queue t",
    "SELECT to_jsonb(t)::text FROM chats t",
    "SELECT to_jsonb(t)::text FROM chat_participants t",
    "SELECT to_jsonb(t)::text FROM messages t",
    "SELECT to_jsonb(t)::text FROM ratings t",
    "SELECT to_jsonb(t)::text FROM reports t",
    "SELECT to_jsonb(t)::text FROM blocks t",
    "SELECT (to_jsonb(t) - 'updated_at')::text FROM fsm_state t",
)


async def snapshot(pool: asyncpg.Pool[Any]) -> list[list[str]]:
    """Every row of every table with effects, in a stable order."""
    return [sorted(record[0] for record in await pool.fetch(query)) for query in SNAPSHOT_QUERIES]


class FiguresReport:
    """Collects each reliability test's figures and prints them at the end of the run."""

    NAME = "anochat-reliability-figures"

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.lines:
            terminalreporter.section("reliability figures")
            for line in self.lines:
                terminalreporter.write_line(line)


def report(config: pytest.Config, test: str, **figures: object) -> None:
    """Print a test's figures now (visible with -s) and again in the run's summary."""
    plugin = config.pluginmanager.get_plugin(FiguresReport.NAME)
    if plugin is None:
        plugin = FiguresReport()
        config.pluginmanager.register(plugin, FiguresReport.NAME)
    line = f"{test}: " + ", ".join(f"{name.replace('_', ' ')}={value}" for name, value in figures.items())
    print(line)
    plugin.lines.append(line)


async def no_violations(pool: asyncpg.Pool[Any]) -> int:
    """Assert every database invariant holds; returns the number of violations (0)."""
    violations = await find_violations(pool)
    assert violations == [], violations
    return 0


# --- delivering twice --------------------------------------------------------------------------


@dataclass
class Redelivery:
    first: list[TelegramMethod[Any]]
    second: list[TelegramMethod[Any]]
    changed: bool


async def deliver_twice(app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any], update: Update) -> Redelivery:
    start = len(telegram.requests)
    await app.dispatcher.feed_update(app.bot, update)
    await app.albums.settle_all(app.courier, app.usecases, app.settings)
    middle = len(telegram.requests)
    before = await snapshot(pool)
    await app.dispatcher.feed_update(app.bot, update)
    await app.albums.settle_all(app.courier, app.usecases, app.settings)
    after = await snapshot(pool)
    return Redelivery(telegram.requests[start:middle], telegram.requests[middle:], before != after)


async def in_chat(app: App, first: User, second: User) -> int:
    for user in (first, second):
        if await app.usecases.get_user(user.id) is None:
            await onboard(app, user)
        await app.dispatcher.feed_update(app.bot, message_update(user, "/search"))
    status = await app.usecases.get_current_chat(first.id)
    assert isinstance(status, InChat) and status.partner_id == second.id
    return status.chat_id


async def ended_chat(app: App, first: User, second: User) -> int:
    chat_id = await in_chat(app, first, second)
    await app.dispatcher.feed_update(app.bot, message_update(second, "/stop"))
    return chat_id


# Each scenario sets the stage and returns the update that is then delivered twice.
Scenario = Callable[[App], Awaitable[Update]]


async def search_and_wait(app: App) -> Update:
    loner = tg_user(61_001)
    await onboard(app, loner)
    return message_update(loner, "/search")


async def search_and_pair(app: App) -> Update:
    waiting, arriving = tg_user(61_011), tg_user(61_012)
    await onboard(app, waiting)
    await onboard(app, arriving)
    await app.dispatcher.feed_update(app.bot, message_update(waiting, "/search"))
    return message_update(arriving, "/search")


async def next_partner(app: App) -> Update:
    alice, bob, carol = tg_user(61_021), tg_user(61_022), tg_user(61_023)
    await in_chat(app, alice, bob)
    await onboard(app, carol)
    await app.dispatcher.feed_update(app.bot, message_update(carol, "/search"))
    return message_update(alice, "/next")


async def stop_chat(app: App) -> Update:
    alice, bob = tg_user(61_031), tg_user(61_032)
    await in_chat(app, alice, bob)
    return message_update(alice, "/stop")


async def stop_search(app: App) -> Update:
    loner = tg_user(61_041)
    await onboard(app, loner)
    await app.dispatcher.feed_update(app.bot, message_update(loner, "/search"))
    return message_update(loner, "/stop")


async def rate(app: App) -> Update:
    alice, bob = tg_user(61_051), tg_user(61_052)
    chat_id = await ended_chat(app, alice, bob)
    return callback_update(alice, f"r:{chat_id}:1")


async def report_partner(app: App) -> Update:
    alice, bob = tg_user(61_061), tg_user(61_062)
    chat_id = await ended_chat(app, alice, bob)
    return callback_update(alice, f"rp:{chat_id}:abuse")


async def block_partner_in_chat(app: App) -> Update:
    alice, bob = tg_user(61_071), tg_user(61_072)
    chat_id = await in_chat(app, alice, bob)
    return callback_update(alice, f"b:{chat_id}")


async def delete_me(app: App) -> Update:
    alice, bob = tg_user(61_081), tg_user(61_082)
    await in_chat(app, alice, bob)
    await app.dispatcher.feed_update(app.bot, message_update(alice, "/deleteme"))
    return callback_update(alice, "d:1")


async def relay_text(app: App) -> Update:
    alice, bob = tg_user(61_091), tg_user(61_092)
    await in_chat(app, alice, bob)
    return message_update(alice, "hello, once")


async def relay_photo(app: App) -> Update:
    alice, bob = tg_user(61_101), tg_user(61_102)
    await in_chat(app, alice, bob)
    return message_update(alice, photo=photo("p-once"), caption="once")


async def relay_album_item(app: App) -> Update:
    alice, bob = tg_user(61_111), tg_user(61_112)
    await in_chat(app, alice, bob)
    *earlier, last = album_updates(alice, 3, "album-once")
    for update in earlier:
        await app.dispatcher.feed_update(app.bot, update)
    return last


async def relay_edit(app: App) -> Update:
    alice, bob = tg_user(61_121), tg_user(61_122)
    await in_chat(app, alice, bob)
    original = message_update(alice, "typo")
    await app.dispatcher.feed_update(app.bot, original)
    assert original.message is not None
    return edited_update(alice, original.message.message_id, "fixed")


async def bot_blocked(app: App) -> Update:
    alice, bob = tg_user(61_131), tg_user(61_132)
    await in_chat(app, alice, bob)
    return my_chat_member_update(alice, "kicked")


async def first_start(app: App) -> Update:
    return message_update(tg_user(61_141), "/start")


SCENARIOS: dict[str, Scenario] = {
    "search, waiting": search_and_wait,
    "search, pairing": search_and_pair,
    "/next": next_partner,
    "/stop in a chat": stop_chat,
    "/stop while searching": stop_search,
    "rating": rate,
    "report": report_partner,
    "block": block_partner_in_chat,
    "/deleteme": delete_me,
    "relay of a text": relay_text,
    "relay of a photo": relay_photo,
    "relay of an album": relay_album_item,
    "relay of an edit": relay_edit,
    "blocking the bot": bot_blocked,
    "/start": first_start,
}


@pytest.mark.parametrize("effect", list(SCENARIOS))
async def test_an_update_delivered_twice_changes_nothing_the_second_time(
    effect: str, app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any], pytestconfig: pytest.Config
) -> None:
    update = await SCENARIOS[effect](app)

    delivery = await deliver_twice(app, telegram, pool, update)

    assert delivery.first, "the first delivery did something"
    assert not delivery.changed, "the second delivery changed the database"
    assert delivery.second == [], f"the second delivery sent {delivery.second}"
    report(
        pytestconfig,
        f"exactly once [{effect}]",
        updates=2,
        duplicates_delivered=1,
        requests_first=len(delivery.first),
        requests_second=len(delivery.second),
        violations=await no_violations(pool),
    )


async def test_a_redelivered_message_whose_copy_was_never_recorded_is_copied_again(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any], pytestconfig: pytest.Config
) -> None:
    """The one duplicate window: the copy was sent but the process died before recording it."""
    alice, bob = tg_user(61_201), tg_user(61_202)
    await in_chat(app, alice, bob)
    update = message_update(alice, "sent, then the process died")
    await app.dispatcher.feed_update(app.bot, update)
    await pool.execute("UPDATE messages SET relayed_message_id = NULL")  # the crash lost the record
    telegram.clear()

    await app.dispatcher.feed_update(app.bot, update)
    await app.dispatcher.feed_update(app.bot, update)

    assert len(telegram.copies_to(bob.id)) == 1  # at least once; never more than the one lost record
    assert await pool.fetchval("SELECT count(*) FROM messages WHERE relayed_message_id IS NOT NULL") == 1
    report(pytestconfig, "exactly once [relay after a lost record]", duplicates_delivered=2, copies_again=1)


async def test_report_notifies_the_admins_once(app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]) -> None:
    update = await report_partner(app)
    await deliver_twice(app, telegram, pool, update)
    assert len([text for text in telegram.texts_to(ADMIN_ID) if "New report" in text]) == 1
