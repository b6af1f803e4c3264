"""The outbox against a real database: notices and album flushes written with the change, claimed once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg

from roulette.domain import MessageContent
from roulette.domain import MessageKind
from roulette.storage.outbox import AlbumFlush
from roulette.storage.outbox import Notice
from roulette.storage.outbox import NoticeKind
from roulette.storage.uow import Database
from roulette.usecases import UseCases
from roulette.usecases.outbox import ClaimNotices
from roulette.usecases.outbox import ClaimOverdue
from tests.support.flows import ADMIN_ID
from tests.support.members import chat_between
from tests.support.members import member
from tests.support.members import members_in_chat

LEASE = 30.0


def photo(file_id: str = "file") -> MessageContent:
    return MessageContent.media(MessageKind.PHOTO, file_id)


async def test_a_pairing_writes_each_sides_partner_found_notice(usecases: UseCases) -> None:
    await member(usecases, 1, interests=("music", "books"))
    await member(usecases, 2, interests=("books", "art"))
    chat_id = await chat_between(usecases, 1, 2)

    notices = await usecases.claim_notices([1, 2])

    assert sorted((n.recipient_id, n.kind, n.chat_id) for n in notices) == [
        (1, NoticeKind.PARTNER_FOUND, chat_id),
        (2, NoticeKind.PARTNER_FOUND, chat_id),
    ]
    assert all(n.details == {"likes": 0, "dislikes": 0, "shared": ["books"]} for n in notices)


async def test_a_search_that_pairs_nobody_writes_no_notice(usecases: UseCases) -> None:
    await member(usecases, 1)
    await usecases.start_search(1)

    assert await usecases.claim_notices([1]) == []


async def test_leaving_a_chat_tells_the_partner_and_the_leaver(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)
    await forget_all(usecases, [1, 2])

    await usecases.close_chat(1)

    notices = await usecases.claim_notices([1, 2])
    assert sorted((n.recipient_id, n.kind, n.chat_id) for n in notices) == [
        (1, NoticeKind.YOU_LEFT, chat_id),
        (2, NoticeKind.PARTNER_LEFT, chat_id),
    ]


async def test_a_chat_ended_by_a_block_or_a_ban_tells_only_the_other_side(usecases: UseCases) -> None:
    for user_id in (1, 2, 3, 4):
        await member(usecases, user_id)
    blocked_chat = await chat_between(usecases, 1, 2)
    banned_chat = await chat_between(usecases, 3, 4)
    await forget_all(usecases, [1, 2, 3, 4])

    await usecases.block_partner(1, blocked_chat)
    await usecases.ban_user(ADMIN_ID, 3, timedelta(hours=1))

    notices = await usecases.claim_notices([1, 2, 3, 4])
    assert sorted((n.recipient_id, n.kind, n.chat_id) for n in notices) == [
        (2, NoticeKind.PARTNER_LEFT, blocked_chat),
        (4, NoticeKind.PARTNER_LEFT, banned_chat),
    ]


async def test_a_users_notices_come_one_at_a_time_in_the_order_written(usecases: UseCases) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    await chat_between(usecases, 1, 2)
    await forget_all(usecases, [1, 2])
    await usecases.close_chat(1, "next")  # /next: "you left", then a new partner
    await chat_between(usecases, 3, 1)

    [first] = await usecases.claim_notices([1])
    assert first.kind is NoticeKind.YOU_LEFT
    assert await usecases.claim_notices([1]) == []  # the older one is still being delivered
    await usecases.forget_delivered([first.id])
    [second] = await usecases.claim_notices([1])
    assert second.kind is NoticeKind.PARTNER_FOUND


async def test_processes_claiming_at_once_never_claim_the_same_notice(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    people = list(range(1, 41))
    for user_id in people:
        await member(usecases, user_id)
    for first in people[::2]:
        await chat_between(usecases, first, first + 1)
    # eight processes' connections, each claiming for everybody at the same moment
    claimers = [ClaimNotices(Database(pool), LEASE) for _ in range(8)]

    claimed = await asyncio.gather(*(claim(people) for claim in claimers))

    ids = [notice.id for batch in claimed for notice in batch]
    assert len(ids) == len(set(ids)) == len(people)


async def test_a_notice_whose_process_died_is_claimed_again_once_its_lease_passed(
    usecases: UseCases, db: Database, pool: asyncpg.Pool[Any]
) -> None:
    await members_in_chat(usecases, 1, 2)
    claimed = await usecases.claim_notices([1])  # ... and the process dies before sending it
    sweep = ClaimOverdue(db, LEASE)
    assert await sweep() == []  # 2's notice is fresh, 1's is claimed: nothing is overdue yet

    await pool.execute("UPDATE outbox SET claimed_until = now() - interval '1 second' WHERE id = $1", claimed[0].id)
    await pool.execute("UPDATE outbox SET created_at = now() - interval '31 seconds'")

    again = await sweep()
    assert sorted(row.recipient_id for row in again if isinstance(row, Notice)) == [1, 2]
    assert await sweep() == []  # claimed now, by this sweep


async def test_an_album_item_marks_its_album_pending_in_its_chat(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)
    for source in (12, 10, 11):
        await usecases.send_message(1, source, photo(), media_group_id="trip")

    flush = await usecases.claim_album(chat_id, 1, "trip")

    assert isinstance(flush, AlbumFlush)
    assert (flush.recipient_id, flush.chat_id) == (2, chat_id)
    assert [source for _stored, source in flush.items] == [10, 11, 12]
    assert await usecases.claim_album(chat_id, 1, "trip") is None  # claimed once
    await usecases.finish_album_flush(flush)
    assert await usecases.claim_album(chat_id, 1, "trip") is None  # and gone


async def test_an_album_whose_chat_ended_has_nothing_to_send(usecases: UseCases) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    chat_id = await chat_between(usecases, 1, 2)
    await usecases.send_message(1, 10, photo(), media_group_id="trip")
    await usecases.close_chat(2)
    await chat_between(usecases, 3, 2)  # the receiver is in another chat by now

    flush = await usecases.claim_album(chat_id, 1, "trip")

    assert flush is not None and flush.items == ()


async def test_an_item_that_arrives_during_a_flush_gets_a_flush_of_its_own(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)
    await usecases.send_message(1, 10, photo(), media_group_id="trip")
    flush = await usecases.claim_album(chat_id, 1, "trip")
    assert flush is not None
    await usecases.send_message(1, 11, photo(), media_group_id="trip")  # meanwhile
    for stored_id, _source in flush.items:
        await usecases.record_relayed(stored_id, 900 + stored_id)

    await usecases.finish_album_flush(flush)

    again = await usecases.claim_album(chat_id, 1, "trip")
    assert again is not None and [source for _stored, source in again.items] == [11]


async def forget_all(usecases: UseCases, recipients: list[int]) -> None:
    while notices := await usecases.claim_notices(recipients):
        await usecases.forget_delivered([notice.id for notice in notices])


async def test_deleting_a_user_drops_what_is_pending_for_them_or_from_them_and_keeps_the_partners_notice(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    await member(usecases, 3)
    first = await chat_between(usecases, 1, 2)
    await forget_all(usecases, [1, 2])
    await usecases.close_chat(2)  # "your partner left" for 1, still pending
    await chat_between(usecases, 1, 3)
    await usecases.send_message(1, 10, photo(), media_group_id="album")  # 1's album, not yet flushed
    await forget_all(usecases, [2, 3])

    await usecases.delete_user(1)

    left = await pool.fetch("SELECT kind, recipient_id, sender_id, chat_id FROM outbox ORDER BY id")
    assert [(row["kind"], row["recipient_id"]) for row in left] == [("partner_left", 3)]
    assert all(1 not in (row["recipient_id"], row["sender_id"]) for row in left)
    assert first not in [row["chat_id"] for row in left]
