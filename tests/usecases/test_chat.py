"""Chat use cases against a real database: relaying messages and edits, the flood guard, closing."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from roulette.domain import InvalidMessage
from roulette.domain import MessageContent
from roulette.domain import MessageKind
from roulette.storage.uow import Database
from roulette.usecases import UseCases
from roulette.usecases.chat import ChatClosed
from roulette.usecases.chat import EditRelay
from roulette.usecases.chat import FloodPolicy
from roulette.usecases.chat import NotRelayed
from roulette.usecases.chat import Relay
from roulette.usecases.search import Unpaired
from tests.support.members import chat_between
from tests.support.members import ended_chat_between
from tests.support.members import member
from tests.support.members import members_in_chat

# --- messages ----------------------------------------------------------------------------


async def test_a_message_is_relayed_to_the_partner(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)

    result = await usecases.send_message(1, 10, MessageContent.text_message("hello"))

    assert isinstance(result, Relay)
    assert (result.chat_id, result.partner_id, result.reply_to_message_id) == (chat_id, 2, None)
    [stored] = await usecases.get_chat_history(chat_id)
    assert (stored.id, stored.sender_id, stored.source_message_id) == (result.message_id, 1, 10)
    assert stored.content == MessageContent.text_message("hello")


async def test_a_message_outside_a_chat_is_not_relayed(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    assert await usecases.send_message(1, 10, MessageContent.text_message("anyone?")) is NotRelayed.NOT_IN_CHAT
    await ended_chat_between(usecases, 1, 2)
    assert await usecases.send_message(1, 11, MessageContent.text_message("still there?")) is NotRelayed.NOT_IN_CHAT
    assert await usecases.send_message(404, 1, MessageContent.text_message("hi")) is NotRelayed.NOT_IN_CHAT


async def test_the_same_message_delivered_twice_is_stored_and_relayed_once(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)
    content = MessageContent.text_message("once")
    sent = await usecases.send_message(1, 10, content)
    assert isinstance(sent, Relay)
    await usecases.record_relayed(sent.message_id, 500)

    assert await usecases.send_message(1, 10, content) is NotRelayed.ALREADY_RELAYED
    assert len(await usecases.get_chat_history(chat_id)) == 1


async def test_a_message_whose_copy_was_never_recorded_is_relayed_again_when_redelivered(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)
    content = MessageContent.text_message("did it arrive?")

    first = await usecases.send_message(1, 10, content)
    again = await usecases.send_message(1, 10, content)

    assert isinstance(first, Relay) and again == first
    assert len(await usecases.get_chat_history(chat_id)) == 1


async def test_a_sender_over_the_flood_limit_is_held_back(db: Database, usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)
    send = UseCases(db, flood_policy=FloodPolicy(max_messages=3, window_seconds=60)).send_message

    results = [await send(1, source, MessageContent.text_message(f"#{source}")) for source in range(5)]

    assert [isinstance(result, Relay) for result in results] == [True, True, True, False, False]
    assert results[3:] == [NotRelayed.FLOODED, NotRelayed.FLOODED]
    assert isinstance(await send(2, 1, MessageContent.text_message("the partner is not held back")), Relay)
    assert [m.content.text for m in await usecases.get_chat_history(chat_id)] == [
        "#0",
        "#1",
        "#2",
        "the partner is not held back",
    ]


async def test_the_flood_limit_counts_only_recent_messages(
    db: Database, usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    await members_in_chat(usecases, 1, 2)
    send = UseCases(db, flood_policy=FloodPolicy(max_messages=2, window_seconds=60)).send_message
    for source in range(2):
        await send(1, source, MessageContent.text_message("earlier"))

    await pool.execute("UPDATE messages SET created_at = now() - interval '61 seconds'")

    assert isinstance(await send(1, 2, MessageContent.text_message("later")), Relay)


async def test_media_is_stored_with_its_file_caption_and_album(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)
    photo = MessageContent.media(MessageKind.PHOTO, "file-1", "look")

    await usecases.send_message(2, 7, photo, media_group_id="album")
    await usecases.send_message(2, 8, MessageContent(MessageKind.DICE))

    first, second = await usecases.get_chat_history(chat_id)
    assert (first.content, first.media_group_id) == (photo, "album")
    assert second.content == MessageContent(MessageKind.DICE)


async def test_replies_point_at_the_right_message_on_the_other_side(usecases: UseCases) -> None:
    await members_in_chat(usecases, 1, 2)
    # user 1 sends #100, which user 2 sees as #500; user 2 sends #600, which user 1 sees as #101
    mine = await usecases.send_message(1, 100, MessageContent.text_message("mine"))
    assert isinstance(mine, Relay)
    await usecases.record_relayed(mine.message_id, 500)
    theirs = await usecases.send_message(2, 600, MessageContent.text_message("theirs"))
    assert isinstance(theirs, Relay)
    await usecases.record_relayed(theirs.message_id, 101)

    async def reply(sender: int, source: int, to: int) -> int | None:
        result = await usecases.send_message(sender, source, MessageContent.text_message("re"), reply_to_message_id=to)
        assert isinstance(result, Relay)
        return result.reply_to_message_id

    # replying to one's own message points at the partner's copy of it
    assert await reply(1, 102, to=100) == 500
    assert await reply(2, 601, to=600) == 101
    # replying to the partner's message (one's copy of it) points at their original
    assert await reply(1, 103, to=101) == 600
    assert await reply(2, 602, to=500) == 100
    # a reply to something the other side never got is relayed as a plain message
    assert await reply(1, 104, to=99) is None


@pytest.mark.parametrize(
    ("original", "field"),
    [
        (MessageContent.text_message("befor"), "text"),
        (MessageContent.media(MessageKind.PHOTO, "file", "befor"), "caption"),
    ],
)
async def test_an_edit_of_the_text_or_caption_reaches_the_partners_copy(
    usecases: UseCases, original: MessageContent, field: str
) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)
    sent = await usecases.send_message(1, 10, original)
    assert isinstance(sent, Relay)
    await usecases.record_relayed(sent.message_id, 500)

    edited = await usecases.edit_message(1, 10, **{field: "before"})

    assert edited == EditRelay(partner_id=2, relayed_message_id=500)
    [stored] = await usecases.get_chat_history(chat_id)
    assert getattr(stored.content, field) == "before"


async def test_an_edit_of_a_message_the_partner_never_got_is_not_relayed(usecases: UseCases) -> None:
    await members_in_chat(usecases, 1, 2)
    await usecases.send_message(1, 10, MessageContent.text_message("not delivered yet"))

    assert await usecases.edit_message(1, 10, text="edited") is NotRelayed.NO_COPY_TO_EDIT
    assert await usecases.edit_message(1, 11, text="never sent") is NotRelayed.NO_COPY_TO_EDIT
    assert await usecases.edit_message(2, 10, text="not mine") is NotRelayed.NO_COPY_TO_EDIT


async def test_an_edit_after_the_chat_ended_is_not_relayed(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)
    sent = await usecases.send_message(1, 10, MessageContent.text_message("bye"))
    assert isinstance(sent, Relay)
    await usecases.record_relayed(sent.message_id, 500)
    await usecases.close_chat(2)

    assert await usecases.edit_message(1, 10, text="bye!") is NotRelayed.NO_COPY_TO_EDIT
    [stored] = await usecases.get_chat_history(chat_id)
    assert stored.content.text == "bye"


@pytest.mark.parametrize(("text", "caption"), [("   ", None), ("a" * 4097, None), (None, "c" * 1025)])
async def test_an_edit_breaking_the_message_rules_is_refused(
    usecases: UseCases, text: str | None, caption: str | None
) -> None:
    await members_in_chat(usecases, 1, 2)
    kind = MessageContent.text_message("hi") if text is not None else MessageContent.media(MessageKind.PHOTO, "file")
    sent = await usecases.send_message(1, 10, kind)
    assert isinstance(sent, Relay)
    await usecases.record_relayed(sent.message_id, 500)

    with pytest.raises(InvalidMessage):
        await usecases.edit_message(1, 10, text=text, caption=caption)


async def test_a_chats_history_is_in_the_order_it_was_written(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)
    lines = [(1, "hi"), (2, "hello"), (2, "how are you?"), (1, "fine"), (2, "ok")]
    for source, (sender, text) in enumerate(lines):
        await usecases.send_message(sender, source, MessageContent.text_message(text))

    history = await usecases.get_chat_history(chat_id)

    assert [(m.sender_id, m.content.text) for m in history] == lines
    assert [m.id for m in history] == sorted(m.id for m in history)
    assert await usecases.get_chat_history(chat_id + 1) == []


# --- closing and rating ------------------------------------------------------------------


async def test_closing_a_chat_frees_both_sides_and_names_the_partner(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)

    assert await usecases.close_chat(1) == ChatClosed(chat_id, partner_id=2)

    assert await usecases.get_current_chat(1) is Unpaired.IDLE
    assert await usecases.get_current_chat(2) is Unpaired.IDLE
    assert (await usecases.get_stats()).active_chats == 0


async def test_closing_an_already_closed_chat_changes_nothing(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    await ended_chat_between(usecases, 1, 2)

    assert await usecases.close_chat(1) is None
    assert await usecases.close_chat(2) is None
    assert await usecases.close_chat(404) is None


async def test_after_closing_both_can_meet_someone_new(usecases: UseCases) -> None:
    for user_id in (1, 2, 3, 4):
        await member(usecases, user_id)
    await ended_chat_between(usecases, 1, 2)

    await chat_between(usecases, 1, 3)
    await chat_between(usecases, 2, 4)


async def test_edits_count_against_the_flood_limit_like_messages(db: Database, usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)
    guarded = UseCases(db, flood_policy=FloodPolicy(max_messages=3, window_seconds=60))
    sent = await guarded.send_message(1, 10, MessageContent.text_message("first"))
    assert isinstance(sent, Relay)
    await usecases.record_relayed(sent.message_id, 500)

    edits = [await guarded.edit_message(1, 10, text=f"edit #{n}") for n in range(4)]

    assert edits == [EditRelay(2, 500), EditRelay(2, 500), NotRelayed.FLOODED, NotRelayed.FLOODED]
    [stored] = await usecases.get_chat_history(chat_id)
    assert stored.content.text == "edit #1"  # a flooded edit is not stored either
    assert await guarded.send_message(1, 11, MessageContent.text_message("more")) is NotRelayed.FLOODED
