"""Reactions against a real database: which original a reaction belongs on, and the flood guard."""

from __future__ import annotations

from roulette.domain import MessageContent
from roulette.usecases import UseCases
from roulette.usecases.chat import FloodPolicy
from roulette.usecases.chat import NotRelayed
from roulette.usecases.chat import Relay
from roulette.usecases.reactions import ReactionTarget
from roulette.usecases.reactions import RelayReaction
from tests.support.members import chat_between
from tests.support.members import member

ALICE, BOB, CAROL = 1, 2, 3


async def relayed(usecases: UseCases, sender: int, source_message_id: int, copy_id: int) -> None:
    sent = await usecases.send_message(sender, source_message_id, MessageContent.text_message("hi"))
    assert isinstance(sent, Relay)
    await usecases.record_relayed(sent.message_id, copy_id)


async def test_a_reaction_on_a_copy_belongs_on_the_partners_original_in_the_chat_going_on(usecases: UseCases) -> None:
    for user in (ALICE, BOB, CAROL):
        await member(usecases, user)
    await chat_between(usecases, ALICE, BOB)
    await relayed(usecases, ALICE, 10, copy_id=500)  # Bob's copy: his message 500
    await relayed(usecases, BOB, 20, copy_id=600)  # Alice's copy: her message 600

    assert await usecases.relay_reaction(BOB, 500) == ReactionTarget(ALICE, 10)
    assert await usecases.relay_reaction(ALICE, 600) == ReactionTarget(BOB, 20)
    assert await usecases.relay_reaction(ALICE, 10) is NotRelayed.NOT_A_PARTNERS_COPY  # her own message
    assert await usecases.relay_reaction(CAROL, 500) is NotRelayed.NOT_A_PARTNERS_COPY  # not in a chat

    await usecases.close_chat(ALICE)
    assert await usecases.relay_reaction(BOB, 500) is NotRelayed.NOT_A_PARTNERS_COPY


async def test_reactions_and_messages_share_the_flood_limit(usecases: UseCases) -> None:
    await member(usecases, ALICE)
    await member(usecases, BOB)
    await chat_between(usecases, ALICE, BOB)
    await relayed(usecases, ALICE, 10, copy_id=500)
    await relayed(usecases, BOB, 20, copy_id=600)  # Bob's one message of the window
    react = RelayReaction(usecases.relay_reaction.db, FloodPolicy(max_messages=3, window_seconds=60))

    assert [await react(BOB, 500) for _ in range(3)] == [ReactionTarget(ALICE, 10)] * 2 + [NotRelayed.FLOODED]
