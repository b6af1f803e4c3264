"""Admin commands: figures and bans for ADMIN_IDS; for anyone else they are ordinary messages."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from roulette.bot.app import App
from roulette.usecases.search import Unpaired
from tests.support.flows import ADMIN_ID
from tests.support.flows import HINT
from tests.support.flows import PARTNER_LEFT
from tests.support.flows import onboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import message_update
from tests.support.telegram_double import tg_user

ADMIN = tg_user(ADMIN_ID, first_name="Admin")


async def admin_says(app: App, telegram: FakeTelegram, command: str) -> str:
    await app.dispatcher.feed_update(app.bot, message_update(ADMIN, command))
    return telegram.last_text_to(ADMIN.id)


async def test_stats_show_the_figures_to_an_admin(app: App, telegram: FakeTelegram) -> None:
    alice, bob, carol = tg_user(6101), tg_user(6102), tg_user(6103)
    await start_chat(app, alice, bob)
    await app.dispatcher.feed_update(app.bot, message_update(alice, "hello"))
    await onboard(app, carol)
    await app.dispatcher.feed_update(app.bot, message_update(carol, "/search"))

    assert await admin_says(app, telegram, "/stats") == (
        "<b>Stats</b>\n"
        "Users: 3\n"
        "Active chats: 1\n"
        "Searching now: 1\n"
        "Messages in 24 h: 1\n"
        "New users in 24 h: 3\n"
        "Open reports: 0"
    )


async def test_admin_commands_do_not_exist_for_anyone_else(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(6111), tg_user(6112)
    await start_chat(app, alice, bob)
    await app.dispatcher.feed_update(app.bot, message_update(alice, "/stop"))
    telegram.clear()

    for command in ("/stats", f"/ban {bob.id}", f"/unban {bob.id}", "/reports"):
        await app.dispatcher.feed_update(app.bot, message_update(alice, command))

    assert telegram.texts_to(alice.id) == [HINT] * 4
    assert not telegram.sent_to(bob.id)
    partner = await app.usecases.get_user(bob.id)
    assert partner is not None and partner.banned_until is None


async def test_a_ban_ends_the_users_chat_and_keeps_them_from_searching(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(6121), tg_user(6122)
    await start_chat(app, alice, bob)

    assert await admin_says(app, telegram, f"/ban {bob.id} 2") == "Banned for 2 h."

    banned = await app.usecases.get_user(bob.id)
    assert banned is not None and banned.banned_until is not None
    assert abs(banned.banned_until - (datetime.now(UTC) + timedelta(hours=2))) < timedelta(minutes=1)
    assert telegram.texts_to(alice.id)[-2:] == PARTNER_LEFT
    assert await app.usecases.get_current_chat(alice.id) is Unpaired.IDLE
    await app.dispatcher.feed_update(app.bot, message_update(bob, "/search"))
    assert telegram.last_text_to(bob.id).startswith("You can't search until")
    assert await app.usecases.get_current_chat(bob.id) is Unpaired.IDLE


async def test_unban_lets_the_user_search_again(app: App, telegram: FakeTelegram) -> None:
    user = tg_user(6141)
    await onboard(app, user)
    # without hours, a ban lasts as long as a ban for reports
    assert await admin_says(app, telegram, f"/ban {user.id}") == f"Banned for {app.settings.report_ban_hours} h."

    assert await admin_says(app, telegram, f"/unban {user.id}") == "Unbanned."

    unbanned = await app.usecases.get_user(user.id)
    assert unbanned is not None and unbanned.banned_until is None
    await app.dispatcher.feed_update(app.bot, message_update(user, "/search"))
    assert await app.usecases.get_current_chat(user.id) is Unpaired.SEARCHING


async def test_admin_commands_explain_their_usage_and_unknown_ids(app: App, telegram: FakeTelegram) -> None:
    for command in ("/ban", "/ban abc", "/ban 1 2 3", "/ban -5"):
        assert await admin_says(app, telegram, command) == "Usage: /ban USER_ID [HOURS]", command
    for command in ("/unban", "/unban x", "/unban 1 2"):
        assert await admin_says(app, telegram, command) == "Usage: /unban USER_ID", command
    assert await admin_says(app, telegram, "/ban 123456") == "No such user."
    assert await admin_says(app, telegram, "/unban 123456") == "No such user."
    assert await admin_says(app, telegram, "/reports") == "No open reports."
