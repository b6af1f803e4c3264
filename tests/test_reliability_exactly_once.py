"""Exactly-once effects: an update delivered twice changes nothing the second time.

Telegram redelivers an update whenever it did not learn that the bot handled it (a webhook
answer lost, polling after a crash). Each scenario below brings the bot to the point where
an update matters, delivers it, snapshots every table, delivers it again and compares.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from aiogram.methods import TelegramMethod
from aiogram.types import Update

from roulette.bot.app import App
from tests.support.figures import no_violations
from tests.support.figures import report
from tests.support.figures import snapshot
from tests.support.flows import ADMIN_ID
from tests.support.flows import ended_chat
from tests.support.flows import onboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import album_updates
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import edited_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import my_chat_member_update
from tests.support.telegram_double import photo
from tests.support.telegram_double import tg_user

pytestmark = pytest.mark.reliability

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


# Each scenario sets the stage and returns the update that is then delivered twice. Each runs in
# a database of its own, so they all cast the same users.
Scenario = Callable[[App], Awaitable[Update]]
ALICE, BOB, CAROL = tg_user(61_001), tg_user(61_002), tg_user(61_003)


async def search_and_wait(app: App) -> Update:
    await onboard(app, ALICE)
    return message_update(ALICE, "/search")


async def search_and_pair(app: App) -> Update:
    await onboard(app, ALICE)
    await onboard(app, BOB)
    await app.dispatcher.feed_update(app.bot, message_update(ALICE, "/search"))
    return message_update(BOB, "/search")


async def next_partner(app: App) -> Update:
    await start_chat(app, ALICE, BOB)
    await onboard(app, CAROL)
    await app.dispatcher.feed_update(app.bot, message_update(CAROL, "/search"))
    return message_update(ALICE, "/next")


async def stop_chat(app: App) -> Update:
    await start_chat(app, ALICE, BOB)
    return message_update(ALICE, "/stop")


async def stop_search(app: App) -> Update:
    await onboard(app, ALICE)
    await app.dispatcher.feed_update(app.bot, message_update(ALICE, "/search"))
    return message_update(ALICE, "/stop")


async def rate(app: App) -> Update:
    chat_id = await ended_chat(app, ALICE, BOB)
    return callback_update(ALICE, f"r:{chat_id}:1")


async def report_partner(app: App) -> Update:
    chat_id = await ended_chat(app, ALICE, BOB)
    return callback_update(ALICE, f"rp:{chat_id}:abuse:1:0")


async def block_partner_in_chat(app: App) -> Update:
    chat_id = await start_chat(app, ALICE, BOB)
    return callback_update(ALICE, f"b:{chat_id}")


async def delete_me(app: App) -> Update:
    await start_chat(app, ALICE, BOB)
    await app.dispatcher.feed_update(app.bot, message_update(ALICE, "/deleteme"))
    return callback_update(ALICE, "d:1")


async def relay_text(app: App) -> Update:
    await start_chat(app, ALICE, BOB)
    return message_update(ALICE, "hello, once")


async def relay_photo(app: App) -> Update:
    await start_chat(app, ALICE, BOB)
    return message_update(ALICE, photo=photo("p-once"), caption="once")


async def relay_album_item(app: App) -> Update:
    await start_chat(app, ALICE, BOB)
    *earlier, last = album_updates(ALICE, 3, "album-once")
    for update in earlier:
        await app.dispatcher.feed_update(app.bot, update)
    return last


async def relay_edit(app: App) -> Update:
    await start_chat(app, ALICE, BOB)
    original = message_update(ALICE, "typo")
    await app.dispatcher.feed_update(app.bot, original)
    assert original.message is not None
    return edited_update(ALICE, original.message.message_id, "fixed")


async def bot_blocked(app: App) -> Update:
    await start_chat(app, ALICE, BOB)
    return my_chat_member_update(ALICE, "kicked")


async def first_start(app: App) -> Update:
    return message_update(ALICE, "/start")


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
    await start_chat(app, alice, bob)
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
