"""Talking again by mutual consent: 🔁 under an ended chat, the partner's Accept / Decline, and
every way it can be refused."""

from __future__ import annotations

import re
import uuid
from typing import Any

import asyncpg
from aiogram.methods import EditMessageText
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardMarkup
from aiogram.types import User

from roulette.bot.app import App
from roulette.bot.app import deliver_overdue
from roulette.usecases.reconnect import Declined
from roulette.usecases.reconnect import Invited
from roulette.usecases.reconnect import Reconnected
from roulette.usecases.search import InChat
from roulette.usecases.search import Unpaired
from tests.support.flows import ADMIN_ID
from tests.support.flows import after_chat_buttons
from tests.support.flows import button_data
from tests.support.flows import callback_answers
from tests.support.flows import ended_chat
from tests.support.flows import onboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import message_update
from tests.support.telegram_double import my_chat_member_update
from tests.support.telegram_double import tg_user

INVITATION = (
    "🔁 Your partner from an earlier chat would like to talk again. If you accept while you are both free, "
    "the chat opens again. You can answer until 24 hours after that chat ended, or until either of you "
    "starts another chat."
)
AGAIN = (
    "🔁 You are talking again with your partner from before. Say hi.\n\n/next — another partner · /stop — end the chat"
)
NOT_NOW = "🔁 Not now: your partner from that chat can't talk again at the moment."
ASKED = "Asked. If your partner accepts while you are both free, the chat opens again."
GONE = "This invitation is no longer valid."
TOKEN_DATA = re.compile(r"^ra:(accept|decline):[0-9a-f]{32}$")


async def feed(app: App, user: User, text: str) -> None:
    await app.dispatcher.feed_update(app.bot, message_update(user, text))


async def press(app: App, user: User, data: str) -> None:
    await app.dispatcher.feed_update(app.bot, callback_update(user, data))


async def ask(app: App, telegram: FakeTelegram, asker: User, invitee: User, chat_id: int) -> tuple[str, str]:
    """The asker presses 🔁; the invitee's Accept and Decline button data."""
    await press(app, asker, f"ag:{chat_id}")
    assert callback_answers(telegram)[-1] == ASKED
    assert telegram.last_text_to(invitee.id) == INVITATION
    accept, decline = button_data(telegram, invitee.id)
    assert TOKEN_DATA.match(accept) and TOKEN_DATA.match(decline)
    assert accept.split(":")[2] == decline.split(":")[2]
    return accept, decline


async def is_idle(app: App, *users: User) -> bool:
    return all([await app.usecases.get_current_chat(user.id) is Unpaired.IDLE for user in users])


async def in_chat_together(app: App, first: User, second: User) -> int | None:
    status = await app.usecases.get_current_chat(first.id)
    return status.chat_id if isinstance(status, InChat) and status.partner_id == second.id else None


async def test_asked_and_accepted_the_same_partners_talk_again(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(7001), tg_user(7002)
    old_chat = await ended_chat(app, alice, bob)
    assert button_data(telegram, alice.id) == after_chat_buttons(old_chat)
    assert "🔁 Ask to talk again" in [b.text for row in telegram.last_markup_to(alice.id).inline_keyboard for b in row]  # type: ignore[union-attr]

    accept, _decline = await ask(app, telegram, alice, bob, old_chat)
    assert await is_idle(app, alice, bob)  # nothing opens before the partner accepts
    telegram.clear()
    await press(app, bob, accept)

    new_chat = await in_chat_together(app, alice, bob)
    assert new_chat is not None and new_chat != old_chat
    assert await in_chat_together(app, bob, alice) == new_chat
    assert telegram.last_text_to(alice.id) == telegram.last_text_to(bob.id) == AGAIN
    [edited] = telegram.of_type(EditMessageText)
    assert edited.text.endswith("✔️ ✅ Accepted") and edited.reply_markup is None

    telegram.clear()
    await feed(app, alice, "hello again")
    assert [request.from_chat_id for request in telegram.copies_to(bob.id)] == [alice.id]


async def test_declining_tells_the_asker_only_not_now(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(7011), tg_user(7012)
    chat_id = await ended_chat(app, alice, bob)
    accept, decline = await ask(app, telegram, alice, bob, chat_id)
    telegram.clear()

    await press(app, bob, decline)

    assert callback_answers(telegram) == ["Declined."]
    assert telegram.texts_to(alice.id) == [NOT_NOW]
    assert await is_idle(app, alice, bob)
    await press(app, bob, accept)  # the token was used
    assert callback_answers(telegram)[-1] == GONE
    assert await is_idle(app, alice, bob)


async def test_both_sides_asking_is_accepting(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(7021), tg_user(7022)
    chat_id = await ended_chat(app, alice, bob)
    accept, _decline = await ask(app, telegram, alice, bob, chat_id)
    telegram.clear()

    await press(app, bob, f"ag:{chat_id}")

    assert callback_answers(telegram) == ["You both asked: the chat opens again."]
    assert await in_chat_together(app, alice, bob) is not None
    assert telegram.texts_to(alice.id) == telegram.texts_to(bob.id) == [AGAIN]
    await press(app, bob, accept)  # taken up by the ask
    assert callback_answers(telegram)[-1] == GONE


async def test_asking_twice_changes_nothing(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(7031), tg_user(7032)
    chat_id = await ended_chat(app, alice, bob)
    await ask(app, telegram, alice, bob, chat_id)
    telegram.clear()

    await press(app, alice, f"ag:{chat_id}")

    assert callback_answers(telegram) == ["You have already asked to talk again after this chat."]
    assert telegram.texts_to(bob.id) == []


async def test_asking_again_after_a_no_changes_nothing(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(7041), tg_user(7042)
    chat_id = await ended_chat(app, alice, bob)
    _accept, decline = await ask(app, telegram, alice, bob, chat_id)
    await press(app, bob, decline)
    telegram.clear()

    await press(app, alice, f"ag:{chat_id}")

    assert callback_answers(telegram) == ["You have already asked to talk again after this chat."]
    assert telegram.texts_to(bob.id) == []


async def test_a_used_expired_or_forged_token_changes_nothing(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    alice, bob, mallory = tg_user(7051), tg_user(7052), tg_user(7053)
    chat_id = await ended_chat(app, alice, bob)
    accept, decline = await ask(app, telegram, alice, bob, chat_id)
    await onboard(app, mallory)
    telegram.clear()

    await press(app, mallory, accept)  # someone else's invitation
    await press(app, bob, f"ra:accept:{uuid.uuid4().hex}")
    await pool.execute("UPDATE reconnect_invitations SET expires_at = now() - interval '1 second'")
    await press(app, bob, accept)
    await press(app, bob, decline)

    assert callback_answers(telegram) == [GONE] * 4
    assert await is_idle(app, alice, bob, mallory)
    assert telegram.texts_to(alice.id) == []


async def test_accepting_while_searching_changes_nothing_until_the_search_stops(
    app: App, telegram: FakeTelegram
) -> None:
    alice, bob = tg_user(7061), tg_user(7062)
    chat_id = await ended_chat(app, alice, bob)
    accept, _decline = await ask(app, telegram, alice, bob, chat_id)
    await feed(app, bob, "/search")
    telegram.clear()

    await press(app, bob, accept)

    assert callback_answers(telegram) == ["You are searching. Stop with /stop, then accept again."]
    assert await app.usecases.get_current_chat(bob.id) is Unpaired.SEARCHING
    assert telegram.texts_to(alice.id) == []
    await feed(app, bob, "/stop")
    await press(app, bob, accept)  # still valid
    assert await in_chat_together(app, alice, bob) is not None


async def test_accepting_in_another_chat_changes_nothing(app: App, telegram: FakeTelegram) -> None:
    alice, bob, carol = tg_user(7071), tg_user(7072), tg_user(7073)
    chat_id = await ended_chat(app, alice, bob)
    accept, _decline = await ask(app, telegram, alice, bob, chat_id)
    with_carol = await start_chat(app, bob, carol)
    telegram.clear()

    await press(app, bob, accept)

    assert callback_answers(telegram) == [
        "You are in another chat: an earlier partner can't be asked or accepted any more."
    ]
    assert await in_chat_together(app, bob, carol) == with_carol
    assert await is_idle(app, alice)


async def test_the_asker_having_started_another_chat_ends_the_invitation(app: App, telegram: FakeTelegram) -> None:
    alice, bob, carol = tg_user(7081), tg_user(7082), tg_user(7083)
    chat_id = await ended_chat(app, alice, bob)
    accept, _decline = await ask(app, telegram, alice, bob, chat_id)
    await start_chat(app, alice, carol)
    await feed(app, carol, "/stop")  # over already: the new chat still ended the offer
    telegram.clear()

    await press(app, bob, accept)

    assert callback_answers(telegram) == [GONE]
    assert await is_idle(app, alice, bob)
    assert telegram.texts_to(alice.id) == []


async def test_asking_while_searching_or_too_late_changes_nothing(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    alice, bob = tg_user(7091), tg_user(7092)
    chat_id = await ended_chat(app, alice, bob)
    await feed(app, alice, "/search")
    telegram.clear()

    await press(app, alice, f"ag:{chat_id}")
    assert callback_answers(telegram) == ["You are searching. Stop with /stop, then ask again."]

    await feed(app, alice, "/stop")
    await pool.execute("UPDATE chats SET ended_at = now() - interval '25 hours' WHERE id = $1", chat_id)
    await press(app, alice, f"ag:{chat_id}")
    assert callback_answers(telegram)[-1] == (
        "Too late to ask: that chat ended more than 24 hours ago, or there has been another chat since."
    )
    assert telegram.texts_to(bob.id) == []
    assert await pool.fetchval("SELECT count(*) FROM reconnect_invitations") == 0


async def test_asking_during_the_chat_or_about_someone_elses_chat_changes_nothing(
    app: App, telegram: FakeTelegram
) -> None:
    alice, bob, mallory = tg_user(7101), tg_user(7102), tg_user(7103)
    chat_id = await start_chat(app, alice, bob)
    await onboard(app, mallory)
    telegram.clear()

    await press(app, alice, f"ag:{chat_id}")
    await feed(app, alice, "/stop")
    await press(app, mallory, f"ag:{chat_id}")

    assert callback_answers(telegram) == ["The chat is still going on.", "This button is no longer active."]
    assert not [text for text in telegram.texts_to(bob.id) if text == INVITATION]


async def refused_at_accept(
    app: App, telegram: FakeTelegram, alice: User, bob: User, after_invitation: Any, answer: str
) -> None:
    """Alice invites Bob, then something happens; Bob's accept is refused with `answer`, nothing opens."""
    chat_id = await ended_chat(app, alice, bob)
    accept, _decline = await ask(app, telegram, alice, bob, chat_id)
    await after_invitation(chat_id)
    telegram.clear()

    await press(app, bob, accept)

    assert callback_answers(telegram)[-1] == answer
    assert await in_chat_together(app, alice, bob) is None
    assert await in_chat_together(app, bob, alice) is None
    assert AGAIN not in telegram.texts_to(alice.id) + telegram.texts_to(bob.id)


async def test_a_block_made_in_the_rating_step_is_respected(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(7111), tg_user(7112)

    async def alice_blocks(chat_id: int) -> None:
        await press(app, alice, f"b:{chat_id}")

    await refused_at_accept(app, telegram, alice, bob, alice_blocks, GONE)


async def test_a_ban_or_a_review_hold_of_the_asker_is_respected(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(7121), tg_user(7122)

    async def admin_bans_alice(_chat_id: int) -> None:
        await feed(app, tg_user(ADMIN_ID), f"/ban {alice.id}")

    await refused_at_accept(app, telegram, alice, bob, admin_bans_alice, NOT_NOW)

    carol, dave = tg_user(7123), tg_user(7124)

    async def dave_reports_carol_as_underage_without_blocking(chat_id: int) -> None:
        await press(app, dave, f"rp:{chat_id}:minor:0:0")

    await refused_at_accept(app, telegram, carol, dave, dave_reports_carol_as_underage_without_blocking, NOT_NOW)


async def test_an_asker_who_deleted_their_data_or_blocked_the_bot_is_not_reached(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    alice, bob = tg_user(7131), tg_user(7132)

    async def alice_deletes_her_data(_chat_id: int) -> None:
        await feed(app, alice, "/deleteme")
        await press(app, alice, "d:1")

    await refused_at_accept(app, telegram, alice, bob, alice_deletes_her_data, GONE)
    assert (
        await pool.fetchval("SELECT count(*) FROM reconnect_invitations WHERE $1 IN (asker_id, invitee_id)", alice.id)
        == 0
    )

    carol, dave = tg_user(7133), tg_user(7134)

    async def carol_blocks_the_bot(_chat_id: int) -> None:
        await app.dispatcher.feed_update(app.bot, my_chat_member_update(carol, "kicked"))

    await refused_at_accept(app, telegram, carol, dave, carol_blocks_the_bot, NOT_NOW)


async def test_adults_and_minors_are_never_reconnected(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    alice, bob = tg_user(7141), tg_user(7142)

    async def an_admin_corrects_alices_age_to_a_minors(_chat_id: int) -> None:
        await feed(app, tg_user(ADMIN_ID), f"/setage {alice.id} 16")
        assert await pool.fetchval("SELECT age FROM users WHERE id = $1", alice.id) == 16

    await refused_at_accept(app, telegram, alice, bob, an_admin_corrects_alices_age_to_a_minors, NOT_NOW)


async def test_no_button_names_anyone(app: App, telegram: FakeTelegram) -> None:
    alice, bob = tg_user(7151), tg_user(7152)
    chat_id = await ended_chat(app, alice, bob)
    accept, decline = await ask(app, telegram, alice, bob, chat_id)
    await press(app, bob, accept)

    markups = [
        request.reply_markup
        for request in telegram.requests
        if isinstance(request, SendMessage | EditMessageText) and isinstance(request.reply_markup, InlineKeyboardMarkup)
    ]
    data = [button.callback_data or "" for markup in markups for row in markup.inline_keyboard for button in row]
    assert accept in data and f"ag:{chat_id}" in data
    for user in (alice, bob):
        assert not [item for item in data if str(user.id) in item]
    # the invitation's buttons carry a random token alone, not even the chat id
    assert TOKEN_DATA.match(accept) and TOKEN_DATA.match(decline)


async def test_the_invitation_reaches_a_russian_speaker_in_russian(app: App, telegram: FakeTelegram) -> None:
    alice, boris = tg_user(7161, language_code="ru"), tg_user(7162, language_code="ru")
    chat_id = await ended_chat(app, alice, boris)

    await press(app, alice, f"ag:{chat_id}")

    assert telegram.last_text_to(boris.id).startswith("🔁 Собеседник из недавнего чата хочет поговорить ещё раз.")
    markup = telegram.last_markup_to(boris.id)
    assert markup is not None
    assert [button.text for row in markup.inline_keyboard for button in row] == ["✅ Принять", "✖️ Отклонить"]


async def test_notices_written_before_a_crash_are_sent_by_the_sweep(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    """The process dies after each commit, before it told anyone: the outbox sweep tells them."""
    alice, bob = tg_user(7171), tg_user(7172)
    chat_id = await ended_chat(app, alice, bob)
    telegram.clear()

    async def sweep_after_the_lease() -> None:
        await pool.execute("UPDATE outbox SET created_at = now() - interval '1 hour'")
        await deliver_overdue(app)

    assert isinstance(await app.usecases.ask_to_reconnect(alice.id, chat_id), Invited)
    assert telegram.texts_to(bob.id) == []
    await sweep_after_the_lease()
    assert telegram.texts_to(bob.id) == [INVITATION]
    _accept, decline = button_data(telegram, bob.id)

    assert isinstance(await app.usecases.decline_reconnect(bob.id, uuid.UUID(decline.split(":")[2])), Declined)
    await sweep_after_the_lease()
    assert telegram.texts_to(alice.id) == [NOT_NOW]

    await press(app, bob, f"ag:{chat_id}")  # bob asks in turn; alice accepts, and the process dies
    [_, alice_decline] = button_data(telegram, alice.id)
    telegram.clear()
    token = uuid.UUID(alice_decline.split(":")[2])
    await pool.execute("DELETE FROM outbox")  # what the press above delivered
    assert isinstance(await app.usecases.accept_reconnect(alice.id, token), Reconnected)
    await sweep_after_the_lease()
    assert telegram.texts_to(alice.id) == telegram.texts_to(bob.id) == [AGAIN]
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_once_asked_the_rating_message_shows_it_and_loses_only_its_ask_button(
    app: App, telegram: FakeTelegram
) -> None:
    alice, bob = tg_user(7181), tg_user(7182)
    chat_id = await ended_chat(app, alice, bob)
    rating_message = telegram.last_markup_to(alice.id)
    assert rating_message is not None
    telegram.clear()

    await app.dispatcher.feed_update(app.bot, callback_update(alice, f"ag:{chat_id}", reply_markup=rating_message))

    [edited] = telegram.of_type(EditMessageText)
    assert edited.text.endswith("\n\n✔️ 🔁 Asked to talk again")
    assert edited.reply_markup is not None
    remaining = [button.callback_data for row in edited.reply_markup.inline_keyboard for button in row]
    assert remaining == [data for data in after_chat_buttons(chat_id) if not data.startswith("ag:")]
