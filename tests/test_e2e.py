"""End to end: the real bot process against the Bot API emulator over HTTP.

Every test starts `python anochat.py run` on a fresh database and talks to it only as Telegram
would: users send updates, the bot calls the Bot API, and the tests read what users received.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.support.bot_process import BotProcess
from tests.support.bot_process import anochat_check
from tests.support.bot_process import running_bot
from tests.support.bot_process import running_webhook_bot
from tgemulator import BotAPIEmulator
from tgemulator import EmuMessage
from tgemulator import SimUser

pytestmark = pytest.mark.e2e

# Generous: a bot process, a database and the tests share two cores.
WAIT = 20.0
WEBHOOK_SECRET = "e2e-webhook-secret"

# Names nobody would type by accident, so finding one in a bot message means it leaked.
NAMES = (
    "Zephyrine", "Quillon", "Marrowick", "Thistlebane", "Orrendel", "Vasquilla", "Brannoch", "Ysolde",
    "Kettrigan", "Ulvaine", "Corvinth", "Hespera", "Drummelow", "Saffrona", "Pellinor", "Wrenfield",
    "Ixabel", "Gorlanth", "Fenwaith", "Amarisk", "Tolliver", "Nuallan",
)  # fmt: skip


@pytest.fixture
async def bot(emulator: BotAPIEmulator, database_url: str, tmp_path: Path) -> AsyncIterator[BotProcess]:
    async with running_bot(emulator, database_url, tmp_path) as process:
        yield process


# --- what users do -------------------------------------------------------------------------


def stranger(emulator: BotAPIEmulator) -> SimUser:
    """A new user with a distinctive name and username."""
    name = NAMES[len(emulator.users) % len(NAMES)]
    return emulator.user(name, last_name=f"{name}son", username=f"{name.lower()}_private_handle")


def last_seen(user: SimUser) -> int:
    """The newest message id in the user's chat: wait for what comes after it."""
    return max(user.messages, default=0)


async def onboard(user: SimUser, *, gender: str = "male", age: int = 25, interests: tuple[str, ...] = ()) -> None:
    await user.send_command("/start")
    welcome = await user.wait_for_text("gender", WAIT)
    await user.press(welcome.message_id, f"g:{gender}:0")
    await user.wait_for_text("How old", WAIT)
    await user.send_text(str(age))
    picker = await user.wait_for_text("interests", WAIT)
    for tag in interests:
        await user.press(picker.message_id, f"i:{tag}:0")
    await user.press(picker.message_id, "i:done:0")
    await user.wait_for_text("All set", WAIT)


async def pair(first: SimUser, second: SimUser, *, second_sends: str = "/search") -> None:
    """`first` searches and waits; `second` searches (or moves on with /next) and finds them."""
    first_mark, second_mark = last_seen(first), last_seen(second)
    await first.send_command("/search")
    await first.wait_for_text("Looking", WAIT, after=first_mark)
    await second.send_command(second_sends)
    await first.wait_for_text("Partner found", WAIT, after=first_mark)
    await second.wait_for_text("Partner found", WAIT, after=second_mark)


async def strangers_in_a_chat(emulator: BotAPIEmulator) -> tuple[SimUser, SimUser]:
    first, second = stranger(emulator), stranger(emulator)
    await asyncio.gather(onboard(first, gender="female"), onboard(second))
    await pair(first, second)
    return first, second


async def copy_of(reader: SimUser, sender: SimUser, message_id: int) -> EmuMessage:
    """What `reader` received for the message `sender` sent."""
    return await reader.wait_for(lambda m: m.copied_from == (sender.id, message_id), WAIT)


async def said(sender: SimUser, reader: SimUser, text: str) -> tuple[int, EmuMessage]:
    """`sender` sends `text`: its id, and the copy `reader` received."""
    message_id = await sender.send_text(text)
    return message_id, await copy_of(reader, sender, message_id)


async def copy_recorded(database_url: str, sender: SimUser, message_id: int) -> None:
    """Wait until the bot recorded which copy the partner got of that message: a reaction or a reply
    to the copy in the instant between its sending and that record has nothing to map to (no
    person reacts that fast; a test does)."""
    deadline = asyncio.get_running_loop().time() + WAIT
    query = "SELECT 1 FROM messages WHERE sender_id = $1 AND source_message_id = $2 AND relayed_message_id IS NOT NULL"
    while not await fetch(database_url, query, sender.id, message_id):
        assert asyncio.get_running_loop().time() < deadline, f"the copy of {message_id} was never recorded"
        await asyncio.sleep(0.02)


async def reaction_on(user: SimUser, message_id: int, emoji: list[str]) -> None:
    """Wait until the bot's reaction on that message of the user's chat is `emoji` (none: [])."""
    deadline = asyncio.get_running_loop().time() + WAIT

    def shown() -> list[str]:
        return [str(reaction.get("emoji")) for reaction in user.message(message_id).reactions]

    while shown() != emoji:
        remaining = deadline - asyncio.get_running_loop().time()
        assert remaining > 0, f"{user!r} message {message_id} shows {shown()}, not {emoji}"
        await user.wait_changed(remaining)


async def chat_end_notice(user: SimUser, after: int) -> EmuMessage:
    return await user.wait_for(lambda m: "👍" in str(m.reply_markup), WAIT, after=after)


async def stop_seen_by(partner: SimUser, leaver: SimUser) -> EmuMessage:
    """`leaver` sends /stop: the chat's end as `partner` is told, with its rating buttons."""
    mark = last_seen(partner)
    await leaver.send_command("/stop")
    return await chat_end_notice(partner, mark)


async def answer_to(user: SimUser, query_id: str) -> str:
    answer = await user.wait_for_callback_answer(query_id, WAIT)
    return answer.text or ""


def button_texts(message: EmuMessage) -> list[str]:
    return [str(button["text"]) for button in message.buttons]


def chat_id_on(message: EmuMessage) -> int:
    """The chat a rating keyboard belongs to (its 👍 button is "r:<chat_id>:1")."""
    return int(message.callback_data("👍").split(":")[1])


async def all_updates_handled(emulator: BotAPIEmulator) -> None:
    """Wait until the bot confirmed every update (it asks for the next batch only after handling one)."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while emulator.pending_updates:
        assert asyncio.get_running_loop().time() < deadline, f"{emulator.pending_updates} update(s) still pending"
        await asyncio.sleep(0.02)


async def fetch(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()


def assert_nobody_is_revealed(users: Sequence[SimUser]) -> None:
    """Nothing the bot showed a user carries another user's id, name or username."""
    for reader in users:
        for message in reader.inbox:
            shown = [message.body, *(str(button.get("callback_data", "")) for button in message.buttons)]
            shown += button_texts(message)
            for other in users:
                if other is reader:
                    continue
                for secret in (str(other.id), other.first_name, other.last_name, other.username):
                    assert secret is not None
                    leaks = [text for text in shown if secret.lower() in text.lower()]
                    assert not leaks, f"{reader!r} was shown {secret!r} of {other!r}: {leaks}"
            assert not any("user" in entity for entity in message.entities), message


# --- onboarding and pairing ----------------------------------------------------------------


async def test_two_users_onboard_pair_and_talk_through_the_real_bot(
    emulator: BotAPIEmulator, bot: BotProcess, database_url: str
) -> None:
    alice, bob = stranger(emulator), stranger(emulator)
    await onboard(alice, gender="female", age=31, interests=("music", "travel"))
    await onboard(bob, interests=("travel",))
    await pair(alice, bob)
    found = await alice.wait_for_text("Partner found", WAIT)
    assert "Travel" in found.body and "Music" not in found.body  # only the interests they share
    sent = await alice.send_text("hello there")
    copy = await copy_of(bob, alice, sent)
    assert copy.text == "hello there"
    assert copy.method == "copyMessage" and copy.protect_content  # a copy, never a forward

    [profile] = await fetch(database_url, "SELECT gender, age, interests FROM users WHERE id = $1", alice.id)
    assert (profile["gender"], profile["age"], sorted(profile["interests"])) == ("female", 31, ["music", "travel"])
    assert_nobody_is_revealed([alice, bob])


# --- relay -------------------------------------------------------------------------------


async def test_every_kind_of_message_and_an_album_reach_the_partner_as_anonymous_copies(
    emulator: BotAPIEmulator, bot: BotProcess
) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    formatting = [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 9, "length": 6},
        {"type": "spoiler", "offset": 16, "length": 5},
    ]
    sent = {
        "text": await alice.send_text("bold and italic words", entities=formatting),
        "photo": await alice.send_photo("a photo of the sea"),
        "video": await alice.send_video("a short video"),
        "animation": await alice.send_animation("a funny gif"),
        "voice": await alice.send_voice(),
        "video_note": await alice.send_video_note(),
        "audio": await alice.send_audio("a song"),
        "document": await alice.send_document("the notes", file_name="notes.txt"),
        "sticker": await alice.send_sticker("🐱"),
        "dice": await alice.send_dice("🎯"),
        "poll": await alice.send_poll("Tea or coffee?", ("Tea", "Coffee")),
    }
    copies = [await copy_of(bob, alice, message_id) for message_id in sent.values()]

    for (kind, message_id), copy in zip(sent.items(), copies, strict=True):
        original = alice.message(message_id)
        assert copy.kind == kind
        assert copy.method == "copyMessage", kind
        assert copy.protect_content, kind
        assert copy.body == original.body, kind
        assert copy.entities == original.entities, kind
    assert copies[0].entities == formatting
    assert copies[1].caption == "a photo of the sea"
    assert copies[9].content["dice"] == alice.message(sent["dice"]).content["dice"]
    assert copies[10].content["poll"]["question"] == "Tea or coffee?"
    assert [copy.message_id for copy in copies] == sorted(copy.message_id for copy in copies)

    album = await alice.send_album(("photo", "video", "photo"), caption="our trip")
    album_copies = [await copy_of(bob, alice, message_id) for message_id in album]
    assert emulator.calls["copyMessages"] == 1  # an album arrives as one album
    assert len({copy.media_group_id for copy in album_copies}) == 1 and album_copies[0].media_group_id is not None
    assert [copy.kind for copy in album_copies] == ["photo", "video", "photo"]
    assert album_copies[0].caption == "our trip"
    assert all(copy.method == "copyMessages" and copy.protect_content for copy in album_copies)

    assert emulator.calls["forwardMessage"] == 0
    assert_nobody_is_revealed([alice, bob])


async def test_replies_point_at_the_partners_copy_and_edits_reach_it(emulator: BotAPIEmulator, bot: BotProcess) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    question = await alice.send_text("what is your favourite season?")
    question_copy = await copy_of(bob, alice, question)

    answer = await bob.send_text("autumn", reply_to=question_copy.message_id)
    answer_copy = await copy_of(alice, bob, answer)
    assert answer_copy.reply_to_message_id == question  # Alice sees it answer her own message

    why = await alice.send_text("why autumn?", reply_to=answer_copy.message_id)
    why_copy = await copy_of(bob, alice, why)
    assert why_copy.reply_to_message_id == answer

    await alice.edit_text(question, "what is your favourite month?")
    edited = await bob.wait_for(lambda m: m.text == "what is your favourite month?", WAIT)
    assert edited is question_copy and edited.edited

    photo = await bob.send_photo("falling leaves")
    photo_copy = await copy_of(alice, bob, photo)
    await bob.edit_caption(photo, "falling leaves in the park")
    recaptioned = await alice.wait_for(lambda m: m.caption == "falling leaves in the park", WAIT)
    assert recaptioned is photo_copy and recaptioned.edited
    assert emulator.calls["forwardMessage"] == 0


async def test_a_reaction_on_a_copy_shows_on_the_original_both_ways_changed_and_removed(
    emulator: BotAPIEmulator, bot: BotProcess, database_url: str
) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    question, question_copy = await said(alice, bob, "cats or dogs?")
    answer, answer_copy = await said(bob, alice, "cats, obviously")
    await copy_recorded(database_url, alice, question)
    await copy_recorded(database_url, bob, answer)

    await bob.react(question_copy.message_id, "👍")
    await reaction_on(alice, question, ["👍"])
    await alice.react(answer_copy.message_id, "❤")
    await reaction_on(bob, answer, ["❤"])

    await bob.react(question_copy.message_id, "🔥")
    await reaction_on(alice, question, ["🔥"])
    await bob.react(question_copy.message_id, None)
    await reaction_on(alice, question, [])
    assert emulator.calls["setMessageReaction"] == 4

    # once the chat is over, a reaction goes nowhere
    await stop_seen_by(alice, bob)
    await alice.react(answer_copy.message_id, "👎")
    await all_updates_handled(emulator)
    assert bob.message(answer).reactions == [{"type": "emoji", "emoji": "❤"}]
    assert emulator.calls["setMessageReaction"] == 4
    assert_nobody_is_revealed([alice, bob])


async def test_unsend_deletes_the_partners_copy_by_reply_or_the_last_message_without_one(
    emulator: BotAPIEmulator, bot: BotProcess, database_url: str
) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    wrong, wrong_copy = await said(alice, bob, "my address is 12 Elm Street")
    _last, last_copy = await said(alice, bob, "and I am 41")

    command = await alice.send_command("/unsend", reply_to=wrong)
    done = await alice.wait_for_text("Unsent", WAIT, after=command)
    assert done.reply_to_message_id == wrong
    assert bob.message(wrong_copy.message_id).deleted and not bob.message(last_copy.message_id).deleted

    command = await alice.send_command("/unsend")
    await alice.wait_for_text("Unsent", WAIT, after=command)
    assert bob.message(last_copy.message_id).deleted
    assert emulator.calls["deleteMessage"] == 2
    assert not any("unsend" in m.body for m in bob.inbox)  # the command never reaches the partner

    rows = await fetch(database_url, "SELECT deleted_at FROM messages WHERE sender_id = $1", alice.id)
    assert len(rows) == 2 and all(row["deleted_at"] is not None for row in rows)  # kept, marked
    assert_nobody_is_revealed([alice, bob])


async def test_fifty_messages_sent_in_a_burst_arrive_once_each_and_in_order(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    # The flood guard (20 messages per 10 s by default) is a promise of its own; here it steps aside.
    async with running_bot(emulator, database_url, tmp_path, FLOOD_MAX_MESSAGES="100"):
        alice, bob = await strangers_in_a_chat(emulator)
        before = len(bob.inbox)
        sent = [await alice.send_text(f"burst message #{n}") for n in range(1, 51)]
        received = (await bob.wait_for_messages(before + 50, WAIT))[before:]

        assert [copy.text for copy in received] == [f"burst message #{n}" for n in range(1, 51)]
        assert [copy.copied_from for copy in received] == [(alice.id, message_id) for message_id in sent]


# --- ending a chat ------------------------------------------------------------------------


async def test_next_ends_the_chat_tells_the_partner_and_finds_someone_else(
    emulator: BotAPIEmulator, bot: BotProcess
) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    carol = stranger(emulator)
    await onboard(carol, gender="female")
    alice_mark, bob_mark = last_seen(alice), last_seen(bob)

    await alice.send_command("/next")
    await bob.wait_for_text("Your partner has left", WAIT, after=bob_mark)
    told = await chat_end_notice(bob, bob_mark)
    assert told.body == "How was it?" and button_texts(told)[:2] == ["👍", "👎"]
    await alice.wait_for_text("The chat is over", WAIT, after=alice_mark)
    left = await chat_end_notice(alice, alice_mark)
    assert left.body == "How was your partner?" and button_texts(left)[:2] == ["👍", "👎"]
    await alice.wait_for_text("Looking", WAIT, after=alice_mark)  # nobody else is searching: she waits

    carol_mark = last_seen(carol)
    await carol.send_command("/search")
    await alice.wait_for_text("Partner found", WAIT, after=alice_mark)
    await carol.wait_for_text("Partner found", WAIT, after=carol_mark)
    hello = await alice.send_text("hi, new partner")
    assert (await copy_of(carol, alice, hello)).text == "hi, new partner"

    # Bob searches while Carol moves on: Carol is paired with him at once.
    await pair(bob, carol, second_sends="/next")
    hi = await bob.send_text("hi, I was waiting")
    assert (await copy_of(carol, bob, hi)).text == "hi, I was waiting"
    assert not any(m.copied_from == (alice.id, hello) for m in bob.inbox)
    assert_nobody_is_revealed([alice, bob, carol])


async def test_stop_ends_the_chat_for_both_and_stops_a_search(emulator: BotAPIEmulator, bot: BotProcess) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    alice_mark, bob_mark = last_seen(alice), last_seen(bob)
    await bob.send_command("/stop")
    await alice.wait_for_text("Your partner has left", WAIT, after=alice_mark)
    await bob.wait_for_text("The chat is over", WAIT, after=bob_mark)

    after_chat = await alice.send_text("are you still there?")
    await alice.wait_for_text("You are not in a chat", WAIT, after=after_chat)
    stop_again = await bob.send_command("/stop")
    await bob.wait_for_text("You are not in a chat.", WAIT, after=stop_again)

    search = await bob.send_command("/search")
    await bob.wait_for_text("Looking", WAIT, after=search)
    stop = await bob.send_command("/stop")
    await bob.wait_for_text("Search stopped.", WAIT, after=stop)


async def test_after_a_chat_the_partner_is_rated_once_and_reported_once(
    emulator: BotAPIEmulator, bot: BotProcess, database_url: str
) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    notice = await stop_seen_by(alice, bob)
    chat_id = chat_id_on(notice)

    assert "Thanks" in await answer_to(alice, await alice.press_button(notice.message_id, "👍"))
    await alice.wait_for(lambda m: m is notice and "👍" not in button_texts(m), WAIT)  # the vote is cast
    profile = await bob.send_command("/profile")
    assert "Reputation: 👍 1 · 👎 0" in (await bob.wait_for_text("Reputation", WAIT, after=profile)).body

    # The old buttons, pressed again from a stale or forged client, change nothing.
    for vote in (1, -1):
        refused = await answer_to(alice, await alice.press(notice.message_id, f"r:{chat_id}:{vote}"))
        assert "already rated" in refused
    profile = await bob.send_command("/profile")
    assert "Reputation: 👍 1 · 👎 0" in (await bob.wait_for_text("Reputation", WAIT, after=profile)).body
    [reputation] = await fetch(database_url, "SELECT likes, dislikes FROM users WHERE id = $1", bob.id)
    assert (reputation["likes"], reputation["dislikes"]) == (1, 0)
    assert len(await fetch(database_url, "SELECT 1 FROM ratings WHERE chat_id = $1", chat_id)) == 1

    await alice.press_button(notice.message_id, "🚩 Report")
    await alice.wait_for(lambda m: m is notice and "Spam or ads" in button_texts(m), WAIT)
    assert button_texts(notice) == [
        "Spam or ads",
        "Abuse or harassment",
        "Seems underage / adult among teens",
        "Something else",
        "☑️ Also block this person",
    ]
    assert "report was sent" in await answer_to(alice, await alice.press_button(notice.message_id, "Spam or ads"))
    again = await answer_to(alice, await alice.press(notice.message_id, f"rp:{chat_id}:abuse:1:0"))
    assert "already reported" in again
    reports = await fetch(database_url, "SELECT chat_id, reporter_id, reported_id, reason FROM reports")
    assert [tuple(report) for report in reports] == [(chat_id, alice.id, bob.id, "spam")]
    assert_nobody_is_revealed([alice, bob])


async def test_users_who_blocked_each_other_are_never_paired_again(
    emulator: BotAPIEmulator, bot: BotProcess, database_url: str
) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    notice = await stop_seen_by(bob, alice)
    assert "never be paired" in await answer_to(bob, await bob.press_button(notice.message_id, "⛔ Block"))

    alice_search = await alice.send_command("/search")
    await alice.wait_for_text("Looking", WAIT, after=alice_search)
    bob_search = await bob.send_command("/search")
    await bob.wait_for_text("Looking", WAIT, after=bob_search)  # his search is settled: not paired

    waiting = await fetch(database_url, "SELECT user_id FROM search_queue ORDER BY user_id")
    assert [row["user_id"] for row in waiting] == sorted([alice.id, bob.id])
    assert await fetch(database_url, "SELECT 1 FROM chat_participants WHERE active") == []
    for user, search in ((alice, alice_search), (bob, bob_search)):
        assert not any("Partner found" in m.body for m in user.inbox if m.message_id > search)


async def test_after_an_accidental_next_both_agree_to_talk_again_and_messages_flow_again(
    emulator: BotAPIEmulator, bot: BotProcess, database_url: str
) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    alice_mark, bob_mark = last_seen(alice), last_seen(bob)
    await alice.send_command("/next")  # meant to press something else
    notice = await chat_end_notice(alice, alice_mark)
    await chat_end_notice(bob, bob_mark)
    await alice.wait_for_text("Looking", WAIT, after=alice_mark)
    stopped = await alice.send_command("/stop")
    await alice.wait_for_text("Search stopped", WAIT, after=stopped)

    bob_mark = last_seen(bob)
    asked = await answer_to(alice, await alice.press_button(notice.message_id, "🔁 Ask to talk again"))
    assert "If your partner accepts" in asked
    await alice.wait_for(lambda m: m is notice and "🔁 Ask to talk again" not in button_texts(m), WAIT)
    assert button_texts(notice) == ["👍", "👎", "🚩 Report", "⛔ Block"]
    invitation = await bob.wait_for_text("would like to talk again", WAIT, after=bob_mark)
    assert button_texts(invitation) == ["✅ Accept", "✖️ Decline"]
    for data in (invitation.callback_data("✅ Accept"), invitation.callback_data("✖️ Decline")):
        assert re.fullmatch(r"ra:(accept|decline):[0-9a-f]{32}", data)  # a random token, no id of anything

    alice_mark, bob_mark = last_seen(alice), last_seen(bob)
    await bob.press_button(invitation.message_id, "✅ Accept")
    await alice.wait_for_text("talking again", WAIT, after=alice_mark)
    await bob.wait_for_text("talking again", WAIT, after=bob_mark)
    sent = await bob.send_text("good to have you back")
    assert (await copy_of(alice, bob, sent)).text == "good to have you back"
    sent = await alice.send_text("same here")
    assert (await copy_of(bob, alice, sent)).text == "same here"

    chats = await fetch(database_url, "SELECT id, ended_at IS NULL AS active FROM chats ORDER BY id")
    assert [row["active"] for row in chats] == [False, True]
    assert_nobody_is_revealed([alice, bob])


async def test_when_a_partner_blocks_the_bot_the_chat_ends_and_the_other_side_is_told(
    emulator: BotAPIEmulator, bot: BotProcess, database_url: str
) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    alice_mark = last_seen(alice)
    await bob.block_bot()
    await alice.wait_for_text("Your partner has left", WAIT, after=alice_mark)
    [chat] = await fetch(database_url, "SELECT end_reason FROM chats")
    assert chat["end_reason"] == "bot_blocked"
    message = await alice.send_text("hello?")
    await alice.wait_for_text("You are not in a chat", WAIT, after=message)

    # A block the bot learns of only when a copy is refused ends the chat the same way.
    carol, dave = await strangers_in_a_chat(emulator)
    carol_mark = last_seen(carol)
    emulator.fail_next("copyMessage", 403, chat_id=dave.id)
    await carol.send_text("are you there?")
    await carol.wait_for_text("Your partner has left", WAIT, after=carol_mark)
    assert await fetch(database_url, "SELECT 1 FROM chat_participants WHERE active") == []


async def test_a_flood_limit_from_telegram_delays_messages_but_delivers_each_once_in_order(
    emulator: BotAPIEmulator, bot: BotProcess
) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    before = len(bob.inbox)
    emulator.fail_next("copyMessage", 429, retry_after=1)
    sent = [await alice.send_text(f"patient message #{n}") for n in range(1, 5)]
    received = (await bob.wait_for_messages(before + 4, WAIT))[before:]

    assert emulator.errors["copyMessage"] == 1
    assert [copy.copied_from for copy in received] == [(alice.id, message_id) for message_id in sent]
    assert [copy.text for copy in received] == [f"patient message #{n}" for n in range(1, 5)]


async def test_admins_read_only_the_reported_chat_with_every_version_and_no_ids_unless_revealed(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    admin = stranger(emulator)
    async with running_bot(emulator, database_url, tmp_path, ADMIN_IDS=str(admin.id)):
        await admin.send_command("/stats")  # a bot can only write to someone who wrote to it first
        await admin.wait_for_text("Stats", WAIT)
        alice, bob = await strangers_in_a_chat(emulator)
        carol, dave = await strangers_in_a_chat(emulator)
        await dave.send_text("a chat nobody reports")
        insult = await bob.send_text("you are an idiot")
        copy = await copy_of(alice, bob, insult)
        await bob.edit_text(insult, "have a nice day")
        await alice.wait_for(lambda m: m is copy and copy.text == "have a nice day", WAIT)

        mark = last_seen(alice)
        await alice.send_command("/report", reply_to=copy.message_id)
        reasons = await alice.wait_for_text("Why are you reporting this message?", WAIT, after=mark)
        answer = await answer_to(alice, await alice.press_button(reasons.message_id, "Abuse or harassment"))
        assert "this person is blocked" in answer
        notice = await admin.wait_for_text("New report: Abuse or harassment", WAIT)
        assert button_texts(notice) == ["Open the report"]

        mark = last_seen(admin)
        await admin.send_command("/reports")
        queue = await admin.wait_for_text("Open reports", WAIT, after=mark)
        assert button_texts(queue) == ["Open #1"]  # carol and dave's chat is nobody's business
        mark = last_seen(admin)
        await admin.press_button(queue.message_id, "Open #1")
        shown = await admin.wait_for_text("Report", WAIT, after=mark)
        assert "reported [text] you are an idiot" in shown.body and "have a nice day" in shown.body
        assert "a chat nobody reports" not in shown.body
        assert_nobody_is_revealed([admin, alice, bob, carol, dave])

        mark = last_seen(admin)
        await admin.press_button(shown.message_id, "👁 Reveal the reported user's id")
        revealed = await admin.wait_for_text("The reported user's id", WAIT, after=mark)
        assert str(bob.id) in revealed.body
        answer = await answer_to(admin, await admin.press_button(shown.message_id, "✔️ Close, keep the ban"))
        assert answer == "Closed; the ban stays."
        # for anyone else, /reports is an ordinary message
        sent = await carol.send_command("/reports")
        assert (await copy_of(dave, carol, sent)).text == "/reports"
        await all_updates_handled(emulator)

    audit = await fetch(database_url, "SELECT admin_id, action, target_user_id FROM admin_audit ORDER BY id")
    assert [(row["admin_id"], row["action"], row["target_user_id"]) for row in audit] == [
        (admin.id, "stats", None),
        (admin.id, "list_reports", None),
        (admin.id, "open_report", None),
        (admin.id, "reveal", bob.id),
        (admin.id, "close_report", None),
    ]


# --- restarts and deployment --------------------------------------------------------------


async def test_a_chat_and_an_unfinished_profile_survive_the_bot_being_killed(
    emulator: BotAPIEmulator, bot: BotProcess, database_url: str
) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    carol = stranger(emulator)
    await carol.send_command("/start")
    await carol.press((await carol.wait_for_text("gender", WAIT)).message_id, "g:female:0")
    await carol.wait_for_text("How old", WAIT)
    before = await alice.send_text("before the crash")
    await copy_of(bob, alice, before)
    # Killed between two updates. (Killed between sending a copy and recording it, the bot
    # sends that copy again after the restart: delivery is at least once.)
    await all_updates_handled(emulator)

    await bot.kill()
    while_down = await alice.send_text("sent while the bot was down")
    await bot.start()

    assert (await copy_of(bob, alice, while_down)).text == "sent while the bot was down"
    after = await bob.send_text("after the restart")
    assert (await copy_of(alice, bob, after)).text == "after the restart"

    age = await carol.send_text("31")  # she answers the question asked before the crash
    picker = await carol.wait_for_text("interests", WAIT, after=age)
    await carol.press(picker.message_id, "i:done:0")
    await carol.wait_for_text("All set", WAIT, after=age)
    [profile] = await fetch(database_url, "SELECT gender, age FROM users WHERE id = $1", carol.id)
    assert (profile["gender"], profile["age"]) == ("female", 31)
    assert sum(m.copied_from == (alice.id, before) for m in bob.inbox) == 1
    assert_nobody_is_revealed([alice, bob, carol])


async def test_in_webhook_mode_messages_and_reactions_relay_and_requests_without_the_secret_are_refused(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    async with running_webhook_bot(emulator, database_url, tmp_path, WEBHOOK_SECRET) as (bot, base):
        assert emulator.webhook.url == f"{base}/webhook" and emulator.webhook.secret_token == WEBHOOK_SECRET

        alice, bob = await strangers_in_a_chat(emulator)
        sent = await alice.send_text("hello over the webhook")
        assert (await copy_of(bob, alice, sent)).text == "hello over the webhook"

        forged = {
            "update_id": 1,
            "message": {**alice.message(sent).to_api(), "message_id": sent + 1000, "text": "forged update"},
        }
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as health:
                assert health.status == 200
            async with http.post(f"{base}/webhook", json=forged) as no_secret:
                assert no_secret.status == 401
            wrong = {"X-Telegram-Bot-Api-Secret-Token": "not-the-secret"}
            async with http.post(f"{base}/webhook", json=forged, headers=wrong) as wrong_secret:
                assert wrong_secret.status == 401

        genuine = await alice.send_text("a genuine update")
        genuine_copy = await copy_of(bob, alice, genuine)
        await copy_recorded(database_url, alice, genuine)
        await bob.react(genuine_copy.message_id, "👍")  # webhook mode asks for reactions too
        await reaction_on(alice, genuine, ["👍"])
        assert not any("forged" in m.body for m in bob.inbox)
        assert await fetch(database_url, "SELECT 1 FROM messages WHERE text LIKE 'forged%'") == []
        assert await fetch(database_url, "SELECT 1 FROM processed_updates WHERE update_id = 1") == []


# --- many users at once --------------------------------------------------------------------


async def test_twenty_users_searching_at_the_same_instant_are_each_paired_exactly_once(
    emulator: BotAPIEmulator, bot: BotProcess, database_url: str
) -> None:
    users = [stranger(emulator) for _ in range(20)]
    await asyncio.gather(*(onboard(user, gender=("male", "female")[n % 2]) for n, user in enumerate(users)))
    marks = {user.id: last_seen(user) for user in users}

    await asyncio.gather(*(user.send_command("/search") for user in users))
    await asyncio.gather(*(user.wait_for_text("Partner found", WAIT, after=marks[user.id]) for user in users))

    rows = await fetch(database_url, "SELECT chat_id, user_id FROM chat_participants WHERE active")
    assert sorted(row["user_id"] for row in rows) == sorted(user.id for user in users)  # one chat each
    members: dict[int, list[int]] = {}
    for row in rows:
        members.setdefault(row["chat_id"], []).append(row["user_id"])
    assert sorted(len(pair) for pair in members.values()) == [2] * 10
    partner_of = {a: b for a, b in members.values()} | {b: a for a, b in members.values()}

    # Each pair is mutual: what one says reaches exactly the user the database paired them with.
    sent = {user.id: await user.send_text(f"hello from seat {n}") for n, user in enumerate(users)}
    for user in users:
        partner = emulator.get_user(partner_of[user.id])
        await copy_of(user, partner, sent[partner.id])
    for user in users:
        senders = {m.copied_from[0] for m in user.inbox if m.copied_from is not None}
        assert senders == {partner_of[user.id]}
        assert sum("Partner found" in m.body for m in user.inbox) == 1
    assert_nobody_is_revealed(users)


# --- what an attacker tries: the leak checks read what the partner's Telegram shows ----------
# (the emulator's stored messages in the partner's chat, as the Bot API returns them), not what
# the bot asked for.


def shown_to(reader: SimUser) -> list[EmuMessage]:
    return list(reader.inbox)


def assert_shows_nobody(reader: SimUser, others: Sequence[SimUser]) -> None:
    """Nothing in the reader's chat (as Telegram returns it: text, entities, buttons, everything)
    carries another user's id, names or username, and no entity links to any account."""
    for message in shown_to(reader):
        shown = json.dumps(message.to_api(), ensure_ascii=False).lower()
        for other in others:
            for secret in (str(other.id), other.first_name, other.last_name, other.username):
                assert secret is not None
                assert secret.lower() not in shown, f"{reader!r} was shown {secret!r} of {other!r}: {shown}"
        for entity in [*message.entities, *message.content.get("caption_entities", [])]:
            assert entity["type"] != "text_mention" and "user" not in entity, message
            assert not str(entity.get("url", "")).lower().lstrip().startswith(("tg:", "tg%3a")), message


def mention_of(user: SimUser, offset: int, length: int) -> dict[str, object]:
    return {"type": "text_mention", "offset": offset, "length": length, "user": dict(user.api_user)}


def link(url: str, offset: int, length: int) -> dict[str, object]:
    return {"type": "text_link", "offset": offset, "length": length, "url": url}


async def test_an_album_caption_mentioning_someone_arrives_as_an_album_without_the_mention(
    emulator: BotAPIEmulator, bot: BotProcess
) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    ghost = stranger(emulator)  # a third person, never in this chat
    caption = "meet my friend, and me"
    entities = [
        {"type": "bold", "offset": 0, "length": 4},
        mention_of(ghost, 8, 6),
        mention_of(alice, 20, 2),
    ]
    before = len(bob.inbox)
    await alice.send_album(("photo", "video", "photo"), caption=caption, caption_entities=entities)
    copies = (await bob.wait_for_messages(before + 3, WAIT))[before:]

    assert len({copy.media_group_id for copy in copies}) == 1 and copies[0].media_group_id is not None
    assert [copy.kind for copy in copies] == ["photo", "video", "photo"]
    assert copies[0].caption == caption
    assert copies[0].content["caption_entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    assert all(copy.protect_content for copy in copies)
    assert_shows_nobody(bob, [alice, ghost])


@pytest.mark.parametrize(
    "template",
    [
        "tg://user?id={id}",
        "TG://OpenMessage?User_Id={id}",
        " tg:%2F%2Fuser%3Fid%3D{id}",
        "tg://openmessage?chat_id={id}",
        "https://t.me/@id{id}",
    ],
)
async def test_a_link_that_opens_an_account_by_id_never_reaches_the_partner(
    emulator: BotAPIEmulator, bot: BotProcess, template: str
) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    ghost = stranger(emulator)
    text = "click me and my site"
    entities = [link(template.format(id=alice.id), 0, 5), link("https://example.com/", 12, 7)]
    await alice.send_text(text, entities=entities)
    copy = await bob.wait_for_text(text, WAIT)  # sent again from its parts: not a copy of `sent`
    assert copy.entities == [link("https://example.com/", 12, 7)]

    photo = await alice.send_media("photo", "a friend", caption_entities=[link(template.format(id=ghost.id), 2, 6)])
    photo_copy = await copy_of(bob, alice, photo)
    assert photo_copy.caption == "a friend" and "caption_entities" not in photo_copy.content

    plain = await alice.send_text("an ordinary message")
    plain_copy = await copy_of(bob, alice, plain)
    await alice.edit_text(plain, "an ordinary message, edited", entities=[link(template.format(id=ghost.id), 3, 8)])
    await bob.wait_for(lambda m: m is plain_copy and m.text == "an ordinary message, edited", WAIT)
    assert plain_copy.entities == []
    assert_shows_nobody(bob, [alice, ghost])


# --- the wall between adults and minors ----------------------------------------------------------


async def ask_age_in_a_chat(user: SimUser) -> int:
    """/profile, then Edit age, as a user in a chat does; the id of the bot's question."""
    mark = last_seen(user)
    await user.send_command("/profile")
    card = await user.wait_for_text("Your profile", WAIT, after=mark)
    await user.press(card.message_id, "pe:age")
    question = await user.wait_for_text("Your next message goes to the bot, not to your partner", WAIT, after=mark)
    return question.message_id


async def test_an_adult_in_a_chat_cannot_edit_their_age_to_15_and_the_partner_learns_nothing(
    emulator: BotAPIEmulator, bot: BotProcess, database_url: str
) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    alice_mark = last_seen(alice)
    asked = await ask_age_in_a_chat(bob)
    await bob.send_text("15")
    await bob.wait_for_text("can only be changed within the group you signed up in", WAIT, after=asked)

    still = await bob.send_text("still here")
    assert (await copy_of(alice, bob, still)).text == "still here"
    await all_updates_handled(emulator)
    [profile] = await fetch(database_url, "SELECT age, age_class FROM users WHERE id = $1", bob.id)
    assert (profile["age"], profile["age_class"]) == (25, "adult")
    # the partner got the copy and nothing else: no word about an age, no chat end
    assert [m.copied_from for m in alice.inbox if m.message_id > alice_mark] == [(bob.id, still)]
    status, output = await anochat_check(database_url)
    assert status == 0 and "all invariants hold" in output, output
    assert_nobody_is_revealed([alice, bob])


async def test_after_edit_age_in_a_chat_what_is_typed_to_the_partner_reaches_them(
    emulator: BotAPIEmulator, bot: BotProcess, database_url: str
) -> None:
    alice, bob = await strangers_in_a_chat(emulator)
    await ask_age_in_a_chat(bob)

    question = await alice.send_text("how old are you?")
    await copy_of(bob, alice, question)
    first = await bob.send_text("wait, let me guess yours")  # no age: it goes to the partner
    answer = await bob.send_text("19")  # answering the partner: the question was closed by the line before
    assert (await copy_of(alice, bob, first)).text == "wait, let me guess yours"
    assert (await copy_of(alice, bob, answer)).text == "19"
    await all_updates_handled(emulator)
    [profile] = await fetch(database_url, "SELECT age FROM users WHERE id = $1", bob.id)
    assert profile["age"] == 25
    assert_nobody_is_revealed([alice, bob])


# --- while searching -------------------------------------------------------------------------


async def test_a_searching_user_sees_how_many_search_hears_still_searching_and_gets_a_hint(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    async with running_bot(emulator, database_url, tmp_path, WAIT_HINT_SECONDS="1"):
        alice, bob = stranger(emulator), stranger(emulator)
        await onboard(alice)
        await onboard(bob)
        alice_search = await alice.send_command("/search")
        await alice.wait_for_text("Searching right now, you included: 1", WAIT, after=alice_search)
        # Both want women aged 18 to 20 (set in the database: /settings has tests of its own).
        await fetch(
            database_url, "UPDATE users SET partner_gender = 'female', partner_age_min = 18, partner_age_max = 20"
        )
        bob_search = await bob.send_command("/search")
        await bob.wait_for_text("Searching right now, you included: 2", WAIT, after=bob_search)

        typed = await alice.send_text("hello?")
        await alice.wait_for_text("Still searching · /stop to cancel", WAIT, after=typed)
        # Both wait for women aged 18 to 20 while only men aged 25 search: each is told.
        for user, search in ((alice, alice_search), (bob, bob_search)):
            await user.wait_for_text("match partner age 18–20: widen it in /settings", WAIT, after=search)

        stop = await alice.send_command("/stop")
        await alice.wait_for_text("Search stopped.", WAIT, after=stop)
        typed = await alice.send_text("hello?")
        await alice.wait_for_text("You are not in a chat", WAIT, after=typed)
