"""Reactions: one on the partner's copy shows on the sender's original, set by the bot."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.methods import SetMessageReaction
from aiogram.types import ReactionTypeEmoji

from roulette.bot.app import App
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import message_update
from tests.support.telegram_double import reaction_update
from tests.support.telegram_double import tg_user

ALICE, BOB = tg_user(4101, first_name="Alice"), tg_user(4102, first_name="Bobby")


async def sent_and_copied(app: App, sender_id: int, text: str, chat_id: int) -> tuple[int, int]:
    """The sender sends `text`: (its id in the sender's chat, its copy's id in the partner's)."""
    sender = ALICE if sender_id == ALICE.id else BOB
    update = message_update(sender, text)
    await app.dispatcher.feed_update(app.bot, update)
    assert update.message is not None
    [stored] = [m for m in await app.usecases.get_chat_history(chat_id) if m.content.text == text]
    assert stored.relayed_message_id is not None
    return update.message.message_id, stored.relayed_message_id


def reactions_set(telegram: FakeTelegram) -> list[tuple[int, int, list[str]]]:
    """(chat, message, emoji) of every setMessageReaction, in order."""
    return [
        (
            int(request.chat_id),
            request.message_id,
            [reaction.emoji for reaction in request.reaction or [] if isinstance(reaction, ReactionTypeEmoji)],
        )
        for request in telegram.of_type(SetMessageReaction)
    ]


@pytest.fixture
async def hello(app: App, telegram: FakeTelegram) -> tuple[int, int]:
    """Alice and Bob are talking and Alice said hello: (her message's id, Bob's copy's id); the Bot
    API log starts empty."""
    chat_id = await start_chat(app, ALICE, BOB)
    said = await sent_and_copied(app, ALICE.id, "hello", chat_id)
    telegram.clear()
    return said


@pytest.fixture
async def exchange(app: App, telegram: FakeTelegram) -> tuple[tuple[int, int], tuple[int, int]]:
    """Alice asked and Bob answered: ((her question's id, Bob's copy's id), (his answer's id, Alice's
    copy's id)); the Bot API log starts empty."""
    chat_id = await start_chat(app, ALICE, BOB)
    question = await sent_and_copied(app, ALICE.id, "coffee or tea?", chat_id)
    answer = await sent_and_copied(app, BOB.id, "tea, always", chat_id)
    telegram.clear()
    return question, answer


async def test_a_reaction_on_the_partners_copy_shows_on_the_original_both_ways(
    app: App, telegram: FakeTelegram, exchange: tuple[tuple[int, int], tuple[int, int]]
) -> None:
    (question, question_copy), (answer, answer_copy) = exchange

    await app.dispatcher.feed_update(app.bot, reaction_update(BOB, question_copy, ["👍"]))
    await app.dispatcher.feed_update(app.bot, reaction_update(ALICE, answer_copy, ["❤"]))

    assert reactions_set(telegram) == [(ALICE.id, question, ["👍"]), (BOB.id, answer, ["❤"])]
    assert "4102" not in repr(telegram.of_type(SetMessageReaction)[0])  # nothing says who reacted


async def test_partners_reacting_at_the_same_instant_each_see_the_others_reaction(
    app: App, telegram: FakeTelegram, exchange: tuple[tuple[int, int], tuple[int, int]]
) -> None:
    (question, question_copy), (answer, answer_copy) = exchange

    await asyncio.gather(
        app.dispatcher.feed_update(app.bot, reaction_update(BOB, question_copy, ["👍"])),
        app.dispatcher.feed_update(app.bot, reaction_update(ALICE, answer_copy, ["🎉"])),
    )

    assert sorted(reactions_set(telegram)) == sorted([(ALICE.id, question, ["👍"]), (BOB.id, answer, ["🎉"])])


async def test_a_changed_reaction_replaces_the_mirrored_one_and_a_removed_one_clears_it(
    app: App, telegram: FakeTelegram, hello: tuple[int, int]
) -> None:
    hello_id, hello_copy = hello
    feed = app.dispatcher.feed_update

    await feed(app.bot, reaction_update(BOB, hello_copy, ["👍"]))
    await feed(app.bot, reaction_update(BOB, hello_copy, ["🔥"], old=["👍"]))
    await feed(app.bot, reaction_update(BOB, hello_copy, [], old=["🔥"]))

    assert reactions_set(telegram) == [
        (ALICE.id, hello_id, ["👍"]),
        (ALICE.id, hello_id, ["🔥"]),
        (ALICE.id, hello_id, []),
    ]


async def test_only_emoji_reactions_are_mirrored_the_newest_when_there_are_several(
    app: App, telegram: FakeTelegram, hello: tuple[int, int]
) -> None:
    hello_id, hello_copy = hello
    feed = app.dispatcher.feed_update

    await feed(app.bot, reaction_update(BOB, hello_copy, ["👍", "🔥"], old=["🔥"]))  # a Premium user's second
    await feed(app.bot, reaction_update(BOB, hello_copy, ["👍", 5368324170671202286], old=["👍", "🔥"]))
    await feed(app.bot, reaction_update(BOB, hello_copy, [5368324170671202286], old=["👍"]))

    # a custom emoji can't be set by a bot: the one left shows, and none once only a custom one is left
    assert reactions_set(telegram) == [
        (ALICE.id, hello_id, ["👍"]),
        (ALICE.id, hello_id, ["👍"]),
        (ALICE.id, hello_id, []),
    ]


async def test_only_a_reaction_on_a_copy_of_the_partners_in_the_chat_going_on_is_mirrored(
    app: App, telegram: FakeTelegram
) -> None:
    chat_id = await start_chat(app, ALICE, BOB)
    mine, mine_copy = await sent_and_copied(app, ALICE.id, "my own words", chat_id)
    feed = app.dispatcher.feed_update
    telegram.clear()

    await feed(app.bot, reaction_update(BOB, mine_copy, ["👍"]))
    await feed(app.bot, reaction_update(ALICE, mine, ["🔥"]))  # her own message, not a copy
    await feed(app.bot, reaction_update(BOB, 1, ["🔥"]))  # a notice of the bot
    await feed(app.bot, message_update(BOB, "/stop"))
    await feed(app.bot, reaction_update(BOB, mine_copy, ["🔥"], old=["👍"]))  # the chat is over

    assert reactions_set(telegram) == [(ALICE.id, mine, ["👍"])]


async def test_reactions_count_against_the_flood_guard(
    app: App, telegram: FakeTelegram, hello: tuple[int, int]
) -> None:
    _hello_id, hello_copy = hello
    limit = app.settings.flood_max_messages

    for n in range(limit + 5):
        emoji = ["👍"] if n % 2 == 0 else []
        await app.dispatcher.feed_update(app.bot, reaction_update(BOB, hello_copy, emoji))

    assert len(reactions_set(telegram)) == limit
    bob_says = message_update(BOB, "and now a message")
    await app.dispatcher.feed_update(app.bot, bob_says)
    assert not telegram.copies_to(ALICE.id)  # the reactions used up Bob's share for now


def test_the_bot_asks_telegram_for_reactions(app: App) -> None:
    assert "message_reaction" in app.dispatcher.resolve_used_update_types()
