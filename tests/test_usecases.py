"""Every use case against a real, freshly migrated database: what each promises, and how each says no."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from roulette.domain import (
    Gender,
    Interests,
    InterestsMode,
    InvalidMessage,
    Language,
    MessageContent,
    MessageKind,
    PartnerGender,
    Profile,
    Reputation,
    SearchPreferences,
    User,
)
from roulette.storage.uow import Database, DuplicateUpdate, UpdateMark, current_update
from roulette.usecases import (
    AlreadyInChat,
    AlreadyRated,
    AlreadyRelayed,
    AlreadyReported,
    AlreadySearching,
    Banned,
    Blocked,
    ChatClosed,
    ChatStillActive,
    Deleted,
    EditNotRelayable,
    EditRelay,
    Flooded,
    FloodPolicy,
    Idle,
    InChat,
    NoChat,
    NotInChat,
    NotSearching,
    NotYourChat,
    Paired,
    ProfileIncomplete,
    Rated,
    Relay,
    Reported,
    ReportPartner,
    ReportPolicy,
    SearchCancelled,
    Searching,
    UseCases,
    UserNotFound,
    Waiting,
)

MAN, WOMAN = Gender.MALE, Gender.FEMALE
ANYONE = PartnerGender.ANY


async def member(
    usecases: UseCases,
    user_id: int,
    gender: Gender | None = MAN,
    age: int | None = 25,
    *,
    wants: PartnerGender = ANYONE,
    ages: tuple[int, int] = (13, 99),
    interests: tuple[str, ...] = (),
    mode: InterestsMode = InterestsMode.PREFER,
) -> User:
    """A registered user with this profile and these preferences."""
    await usecases.register_user(user_id, Language.EN)
    await usecases.update_profile(user_id, Profile(gender, age, Interests.of(interests)))
    user = await usecases.update_preferences(user_id, SearchPreferences(wants, ages[0], ages[1], mode))
    assert isinstance(user, User)
    return user


async def chat_between(usecases: UseCases, first: int, second: int) -> int:
    """`first` waits, `second` searches and gets `first`: the new chat's id."""
    assert await usecases.start_search(first) == Waiting()
    result = await usecases.start_search(second)
    assert isinstance(result, Paired) and result.partner.id == first
    return result.chat_id


async def ended_chat_between(usecases: UseCases, first: int, second: int) -> int:
    chat_id = await chat_between(usecases, first, second)
    assert isinstance(await usecases.close_chat(first), ChatClosed)
    return chat_id


async def wait_until_a_query_waits_for_a_lock(pool: asyncpg.Pool[Any]) -> None:
    """Return once some transaction of this database is blocked on a row lock."""
    for _ in range(500):
        waiting = await pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no query ever waited for the lock")


# --- users -------------------------------------------------------------------------------


async def test_a_new_user_is_registered_with_their_language(usecases: UseCases) -> None:
    registered = await usecases.register_user(1, Language.RU)
    assert registered.created
    assert registered.user == User(1, language=Language.RU)
    assert await usecases.get_user(1) == registered.user


async def test_a_returning_user_keeps_their_profile_and_language(usecases: UseCases) -> None:
    await usecases.register_user(1, Language.RU)
    profiled = await member(usecases, 1, WOMAN, 30, interests=("art",))

    again = await usecases.register_user(1, Language.EN)

    assert not again.created
    assert again.user.language is Language.RU
    assert again.user == profiled


async def test_a_stranger_is_not_found(usecases: UseCases) -> None:
    assert await usecases.get_user(404) is None


async def test_profile_and_preferences_are_saved(usecases: UseCases) -> None:
    await usecases.register_user(1, Language.EN)
    profile = Profile(WOMAN, 33, Interests.of(["pets", "music"]))
    preferences = SearchPreferences(PartnerGender.MALE, 30, 40, InterestsMode.REQUIRE)

    await usecases.update_profile(1, profile)
    await usecases.update_preferences(1, preferences)

    user = await usecases.get_user(1)
    assert user is not None
    assert user.profile == profile
    assert user.preferences == preferences
    assert user.reputation == Reputation()


async def test_the_interface_language_can_be_changed(usecases: UseCases) -> None:
    await usecases.register_user(1, Language.EN)
    changed = await usecases.set_language(1, Language.RU)
    assert isinstance(changed, User) and changed.language is Language.RU
    user = await usecases.get_user(1)
    assert user is not None and user.language is Language.RU


async def test_changing_an_unknown_user_says_so(usecases: UseCases) -> None:
    assert await usecases.update_profile(404, Profile(MAN, 20)) == UserNotFound(404)
    assert await usecases.update_preferences(404, SearchPreferences()) == UserNotFound(404)
    assert await usecases.set_language(404, Language.RU) == UserNotFound(404)
    assert await usecases.get_user(404) is None


PROFILES_THE_DOMAIN_REFUSES = [
    "UPDATE users SET age = 200 WHERE id = 1",
    "UPDATE users SET age = 12 WHERE id = 1",
    "UPDATE users SET gender = 'robot' WHERE id = 1",
    "UPDATE users SET language = 'de' WHERE id = 1",
    "UPDATE users SET partner_gender = 'robot' WHERE id = 1",
    "UPDATE users SET partner_age_min = 12 WHERE id = 1",
    "UPDATE users SET partner_age_max = 100 WHERE id = 1",
    "UPDATE users SET partner_age_min = 40, partner_age_max = 30 WHERE id = 1",
    "UPDATE users SET interests_mode = 'sometimes' WHERE id = 1",
    "UPDATE users SET likes = -1 WHERE id = 1",
    "UPDATE users SET dislikes = -1 WHERE id = 1",
]


async def test_the_database_refuses_a_profile_the_domain_refuses(usecases: UseCases, pool: asyncpg.Pool[Any]) -> None:
    before = await member(usecases, 1)
    for statement in PROFILES_THE_DOMAIN_REFUSES:
        with pytest.raises(asyncpg.CheckViolationError):
            await pool.execute(statement)
    assert await usecases.get_user(1) == before


MESSAGES_THE_DOMAIN_REFUSES: list[tuple[str, str | None, str | None, str | None]] = [
    # kind, text, caption, file id
    ("text", None, None, None),
    ("text", "", None, None),
    ("text", "a" * 4097, None, None),
    ("photo", None, None, None),
    ("photo", None, "c" * 1025, "file"),
    ("photo", "text on a photo", None, "file"),
    ("hologram", None, None, "file"),
]


async def test_the_database_refuses_a_message_the_domain_refuses(usecases: UseCases, pool: asyncpg.Pool[Any]) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)
    for kind, text, caption, file_id in MESSAGES_THE_DOMAIN_REFUSES:
        with pytest.raises(asyncpg.CheckViolationError):
            await pool.execute(
                "INSERT INTO messages (chat_id, sender_id, source_message_id, kind, text, caption, file_id)"
                " VALUES ($1, 1, 10, $2, $3, $4, $5)",
                chat_id,
                kind,
                text,
                caption,
                file_id,
            )
    assert await usecases.get_chat_history(chat_id) == []


# --- deleting ----------------------------------------------------------------------------


async def test_deleting_a_user_erases_them_and_their_messages_and_ends_their_chat(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)
    await usecases.send_message(1, 10, MessageContent.text_message("mine"))
    await usecases.send_message(2, 20, MessageContent.text_message("theirs"))
    await usecases.send_message(1, 11, MessageContent.media(MessageKind.PHOTO, "file", "also mine"))

    assert await usecases.delete_user(1) == Deleted(ChatClosed(chat_id, partner_id=2))

    assert await usecases.get_user(1) is None
    assert await usecases.get_current_chat(2) == Idle()
    assert [(m.sender_id, m.content.text) for m in await usecases.get_chat_history(chat_id)] == [(2, "theirs")]


async def test_deleting_a_searching_user_takes_them_out_of_the_queue(usecases: UseCases) -> None:
    await member(usecases, 1)
    assert await usecases.start_search(1) == Waiting()

    assert await usecases.delete_user(1) == Deleted(None)

    assert (await usecases.get_stats()).searching == 0
    await member(usecases, 2)
    assert await usecases.start_search(2) == Waiting()


async def test_deleting_an_unknown_user_says_so(usecases: UseCases) -> None:
    assert await usecases.delete_user(404) == UserNotFound(404)


async def test_a_block_against_a_deleted_user_still_holds_when_they_come_back(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)
    await usecases.block_partner(1, chat_id)
    await usecases.delete_user(2)

    await member(usecases, 2)

    assert await usecases.start_search(2) == Waiting()
    assert await usecases.start_search(1) == Waiting()


# --- searching ---------------------------------------------------------------------------


async def test_a_lone_searcher_waits(usecases: UseCases) -> None:
    await member(usecases, 1)
    assert await usecases.start_search(1) == Waiting()
    assert await usecases.get_current_chat(1) == Searching()


async def test_two_compatible_searchers_are_paired_with_each_other(usecases: UseCases) -> None:
    first = await member(usecases, 1, MAN, 30, interests=("music", "art"))
    second = await member(usecases, 2, WOMAN, 28, interests=("art", "food"))

    assert await usecases.start_search(1) == Waiting()
    result = await usecases.start_search(2)

    assert isinstance(result, Paired)
    assert result.partner == first and result.me == second
    assert result.shared_interests == {"art"}
    assert await usecases.get_current_chat(1) == InChat(result.chat_id, partner_id=2)
    assert await usecases.get_current_chat(2) == InChat(result.chat_id, partner_id=1)
    assert (await usecases.get_stats()).searching == 0


async def test_searching_again_while_waiting_says_already_searching(usecases: UseCases) -> None:
    await member(usecases, 1)
    await usecases.start_search(1)
    assert await usecases.start_search(1) == AlreadySearching()


async def test_searching_while_in_a_chat_says_already_in_chat(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)
    assert await usecases.start_search(1) == AlreadyInChat(chat_id, partner_id=2)
    assert await usecases.start_search(2) == AlreadyInChat(chat_id, partner_id=1)


@pytest.mark.parametrize(("gender", "age"), [(None, 25), (MAN, None), (None, None)])
async def test_an_incomplete_profile_cannot_search(usecases: UseCases, gender: Gender | None, age: int | None) -> None:
    await member(usecases, 1, gender, age)
    assert await usecases.start_search(1) == ProfileIncomplete()
    assert await usecases.get_current_chat(1) == Idle()


async def test_a_banned_user_cannot_search(usecases: UseCases) -> None:
    await member(usecases, 1)
    banned = await usecases.ban_user(1, timedelta(hours=1))
    assert not isinstance(banned, UserNotFound)
    user, _ = banned
    assert user.banned_until is not None

    assert await usecases.start_search(1) == Banned(user.banned_until)
    assert await usecases.get_current_chat(1) == Idle()


async def test_an_unknown_user_cannot_search(usecases: UseCases) -> None:
    assert await usecases.start_search(404) == UserNotFound(404)


Wishes = dict[str, Any]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param({"gender": MAN, "wants": PartnerGender.FEMALE}, {"gender": MAN}, id="he-wants-a-woman"),
        pytest.param({"gender": MAN}, {"gender": MAN, "wants": PartnerGender.FEMALE}, id="the-other-wants-a-woman"),
        pytest.param({"age": 30, "ages": (18, 25)}, {"age": 26}, id="too-old-for-the-waiting-one"),
        pytest.param({"age": 26}, {"age": 30, "ages": (18, 25)}, id="too-old-for-the-searcher"),
        pytest.param({"age": 20}, {"age": 30, "ages": (25, 35)}, id="too-young-for-the-searcher"),
        pytest.param({"age": 17}, {"age": 18}, id="a-minor-and-an-adult"),
        pytest.param({"age": 18}, {"age": 17}, id="an-adult-and-a-minor"),
        pytest.param(
            {"interests": ("music",), "mode": InterestsMode.REQUIRE}, {"interests": ("art",)}, id="waiting-one-requires"
        ),
        pytest.param(
            {"interests": ("music",)}, {"interests": ("art",), "mode": InterestsMode.REQUIRE}, id="searcher-requires"
        ),
    ],
)
async def test_users_whose_wishes_do_not_hold_both_ways_are_not_paired(
    usecases: UseCases, first: Wishes, second: Wishes
) -> None:
    await member(usecases, 1, **first)
    await member(usecases, 2, **second)

    assert await usecases.start_search(1) == Waiting()
    assert await usecases.start_search(2) == Waiting()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(
            {"gender": MAN, "wants": PartnerGender.FEMALE},
            {"gender": WOMAN, "wants": PartnerGender.MALE},
            id="each-the-others-wish",
        ),
        pytest.param({"age": 30, "ages": (25, 35)}, {"age": 25, "ages": (30, 30)}, id="ages-fit-both-ways"),
        pytest.param({"age": 13, "ages": (13, 17)}, {"age": 17}, id="two-minors"),
        pytest.param({"age": 18}, {"age": 99}, id="two-adults"),
        pytest.param(
            {"interests": ("music", "art"), "mode": InterestsMode.REQUIRE},
            {"interests": ("art",), "mode": InterestsMode.REQUIRE},
            id="required-interest-shared",
        ),
    ],
)
async def test_users_whose_wishes_hold_both_ways_are_paired(usecases: UseCases, first: Wishes, second: Wishes) -> None:
    await member(usecases, 1, **first)
    await member(usecases, 2, **second)

    await chat_between(usecases, 1, 2)


async def waiting_men(usecases: UseCases, *interests: tuple[str, ...]) -> list[int]:
    """Men who want a woman, waiting in this order (so they cannot be paired with each other)."""
    ids = []
    for user_id, tags in enumerate(interests, start=1):
        await member(usecases, user_id, MAN, wants=PartnerGender.FEMALE, interests=tags)
        assert await usecases.start_search(user_id) == Waiting()
        ids.append(user_id)
    return ids


async def partners_of_women_searching(
    usecases: UseCases, count: int, interests: tuple[str, ...] = (), mode: InterestsMode = InterestsMode.PREFER
) -> list[int]:
    """Women search one after the other; whom each of them meets."""
    met = []
    for user_id in range(101, 101 + count):
        await member(usecases, user_id, WOMAN, interests=interests, mode=mode)
        result = await usecases.start_search(user_id)
        assert isinstance(result, Paired)
        met.append(result.partner.id)
    return met


async def test_a_searcher_meets_whoever_shares_the_most_interests_first(usecases: UseCases) -> None:
    await waiting_men(usecases, (), ("music",), ("music", "art"), ("music", "art"))

    met = await partners_of_women_searching(usecases, 4, interests=("music", "art", "books"))

    # most shared interests first; between 3 and 4, who share as much, the one waiting longer
    assert met == [3, 4, 2, 1]


async def test_among_equally_good_partners_the_longest_waiting_comes_first(usecases: UseCases) -> None:
    await waiting_men(usecases, ("art",), (), ("music",), ("pets",))

    assert await partners_of_women_searching(usecases, 4) == [1, 2, 3, 4]


async def test_a_searcher_who_ignores_interests_meets_the_longest_waiting(usecases: UseCases) -> None:
    await waiting_men(usecases, (), ("music", "art"))

    met = await partners_of_women_searching(usecases, 2, ("music", "art"), InterestsMode.IGNORE)

    assert met == [1, 2]


async def test_a_searcher_who_requires_interests_skips_those_sharing_none(usecases: UseCases) -> None:
    await waiting_men(usecases, ("art",), ("music", "tech"))

    met = await partners_of_women_searching(usecases, 1, ("music",), InterestsMode.REQUIRE)

    assert met == [2]
    assert await usecases.get_current_chat(1) == Searching()


async def test_a_waiting_user_who_requires_interests_waits_for_someone_sharing_one(usecases: UseCases) -> None:
    await member(usecases, 1, interests=("music",), mode=InterestsMode.REQUIRE)
    await usecases.start_search(1)

    await member(usecases, 2, interests=("art",))
    assert await usecases.start_search(2) == Waiting()

    await member(usecases, 3, interests=("music",), mode=InterestsMode.IGNORE)
    result = await usecases.start_search(3)
    assert isinstance(result, Paired) and result.partner.id == 1


async def test_a_user_who_cancels_as_they_are_picked_is_not_paired(usecases: UseCases, db: Database) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    await usecases.start_search(1)

    # user 1's cancel is half done (its queue row deleted, not yet committed) when user 2 searches
    async with db.uow() as cancel:
        assert await cancel.queue.dequeue(1)
        search = asyncio.create_task(usecases.start_search(2))
        await wait_until_a_query_waits_for_a_lock(db.pool)
        await cancel.commit()

    assert await search == Waiting()
    assert await usecases.get_current_chat(1) == Idle()
    assert await usecases.get_current_chat(2) == Searching()


async def test_a_user_deleted_as_they_are_picked_is_not_paired(usecases: UseCases, db: Database) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    await usecases.start_search(1)

    async with db.uow() as delete:
        await delete.queue.dequeue(1)
        assert await delete.users.delete(1)
        search = asyncio.create_task(usecases.start_search(2))
        await wait_until_a_query_waits_for_a_lock(db.pool)
        await delete.commit()

    assert await search == Waiting()
    assert (await usecases.get_stats()).active_chats == 0


# --- cancelling and status ---------------------------------------------------------------


async def test_cancelling_a_search_leaves_the_queue(usecases: UseCases) -> None:
    await member(usecases, 1)
    await usecases.start_search(1)

    assert await usecases.cancel_search(1) == SearchCancelled()

    assert await usecases.get_current_chat(1) == Idle()
    await member(usecases, 2)
    assert await usecases.start_search(2) == Waiting()


async def test_cancelling_without_searching_says_so(usecases: UseCases) -> None:
    await member(usecases, 1)
    assert await usecases.cancel_search(1) == NotSearching()
    assert await usecases.cancel_search(404) == NotSearching()


async def test_a_user_is_idle_then_searching_then_in_a_chat_then_idle(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    assert await usecases.get_current_chat(1) == Idle()
    await usecases.start_search(1)
    assert await usecases.get_current_chat(1) == Searching()
    result = await usecases.start_search(2)
    assert isinstance(result, Paired)
    assert await usecases.get_current_chat(1) == InChat(result.chat_id, partner_id=2)
    await usecases.close_chat(2)
    assert await usecases.get_current_chat(1) == Idle()


# --- messages ----------------------------------------------------------------------------


async def test_a_message_is_relayed_to_the_partner(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)

    result = await usecases.send_message(1, 10, MessageContent.text_message("hello"))

    assert isinstance(result, Relay)
    assert (result.chat_id, result.partner_id, result.reply_to_message_id) == (chat_id, 2, None)
    [stored] = await usecases.get_chat_history(chat_id)
    assert (stored.id, stored.sender_id, stored.source_message_id) == (result.message_id, 1, 10)
    assert stored.content == MessageContent.text_message("hello")


async def test_a_message_outside_a_chat_is_not_relayed(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    assert await usecases.send_message(1, 10, MessageContent.text_message("anyone?")) == NotInChat()
    await ended_chat_between(usecases, 1, 2)
    assert await usecases.send_message(1, 11, MessageContent.text_message("still there?")) == NotInChat()
    assert await usecases.send_message(404, 1, MessageContent.text_message("hi")) == NotInChat()


async def test_the_same_message_delivered_twice_is_stored_and_relayed_once(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)
    content = MessageContent.text_message("once")
    sent = await usecases.send_message(1, 10, content)
    assert isinstance(sent, Relay)
    await usecases.record_relayed(sent.message_id, 500)

    assert await usecases.send_message(1, 10, content) == AlreadyRelayed()
    assert len(await usecases.get_chat_history(chat_id)) == 1


async def test_a_message_whose_copy_was_never_recorded_is_relayed_again_when_redelivered(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)
    content = MessageContent.text_message("did it arrive?")

    first = await usecases.send_message(1, 10, content)
    again = await usecases.send_message(1, 10, content)

    assert isinstance(first, Relay) and again == first
    assert len(await usecases.get_chat_history(chat_id)) == 1


async def test_a_sender_over_the_flood_limit_is_held_back(db: Database, usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)
    send = UseCases(db, flood_policy=FloodPolicy(max_messages=3, window_seconds=60)).send_message

    results = [await send(1, source, MessageContent.text_message(f"#{source}")) for source in range(5)]

    assert [type(result) for result in results] == [Relay, Relay, Relay, Flooded, Flooded]
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
    await member(usecases, 1)
    await member(usecases, 2)
    await chat_between(usecases, 1, 2)
    send = UseCases(db, flood_policy=FloodPolicy(max_messages=2, window_seconds=60)).send_message
    for source in range(2):
        await send(1, source, MessageContent.text_message("earlier"))

    await pool.execute("UPDATE messages SET created_at = now() - interval '61 seconds'")

    assert isinstance(await send(1, 2, MessageContent.text_message("later")), Relay)


async def test_media_is_stored_with_its_file_caption_and_album(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)
    photo = MessageContent.media(MessageKind.PHOTO, "file-1", "look")

    await usecases.send_message(2, 7, photo, media_group_id="album")
    await usecases.send_message(2, 8, MessageContent(MessageKind.DICE))

    first, second = await usecases.get_chat_history(chat_id)
    assert (first.content, first.media_group_id) == (photo, "album")
    assert second.content == MessageContent(MessageKind.DICE)


async def test_replies_point_at_the_right_message_on_the_other_side(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    await chat_between(usecases, 1, 2)
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


async def test_an_edit_reaches_the_partners_copy(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)
    sent = await usecases.send_message(1, 10, MessageContent.text_message("helo"))
    assert isinstance(sent, Relay)
    await usecases.record_relayed(sent.message_id, 500)

    assert await usecases.edit_message(1, 10, text="hello") == EditRelay(partner_id=2, relayed_message_id=500)

    [stored] = await usecases.get_chat_history(chat_id)
    assert stored.content.text == "hello"


async def test_a_caption_edit_reaches_the_partners_copy(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)
    sent = await usecases.send_message(1, 10, MessageContent.media(MessageKind.PHOTO, "file", "befor"))
    assert isinstance(sent, Relay)
    await usecases.record_relayed(sent.message_id, 500)

    assert await usecases.edit_message(1, 10, caption="before") == EditRelay(partner_id=2, relayed_message_id=500)

    [stored] = await usecases.get_chat_history(chat_id)
    assert stored.content.caption == "before"


async def test_an_edit_of_a_message_the_partner_never_got_is_not_relayed(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    await chat_between(usecases, 1, 2)
    await usecases.send_message(1, 10, MessageContent.text_message("not delivered yet"))

    assert await usecases.edit_message(1, 10, text="edited") == EditNotRelayable()
    assert await usecases.edit_message(1, 11, text="never sent") == EditNotRelayable()
    assert await usecases.edit_message(2, 10, text="not mine") == EditNotRelayable()


async def test_an_edit_after_the_chat_ended_is_not_relayed(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)
    sent = await usecases.send_message(1, 10, MessageContent.text_message("bye"))
    assert isinstance(sent, Relay)
    await usecases.record_relayed(sent.message_id, 500)
    await usecases.close_chat(2)

    assert await usecases.edit_message(1, 10, text="bye!") == EditNotRelayable()
    [stored] = await usecases.get_chat_history(chat_id)
    assert stored.content.text == "bye"


@pytest.mark.parametrize(("text", "caption"), [("   ", None), ("a" * 4097, None), (None, "c" * 1025)])
async def test_an_edit_breaking_the_message_rules_is_refused(
    usecases: UseCases, text: str | None, caption: str | None
) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    await chat_between(usecases, 1, 2)
    kind = MessageContent.text_message("hi") if text is not None else MessageContent.media(MessageKind.PHOTO, "file")
    sent = await usecases.send_message(1, 10, kind)
    assert isinstance(sent, Relay)
    await usecases.record_relayed(sent.message_id, 500)

    with pytest.raises(InvalidMessage):
        await usecases.edit_message(1, 10, text=text, caption=caption)


async def test_a_chats_history_is_in_the_order_it_was_written(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)
    lines = [(1, "hi"), (2, "hello"), (2, "how are you?"), (1, "fine"), (2, "ok")]
    for source, (sender, text) in enumerate(lines):
        await usecases.send_message(sender, source, MessageContent.text_message(text))

    history = await usecases.get_chat_history(chat_id)

    assert [(m.sender_id, m.content.text) for m in history] == lines
    assert [m.id for m in history] == sorted(m.id for m in history)
    assert await usecases.get_chat_history(chat_id + 1) == []


# --- closing and rating ------------------------------------------------------------------


async def test_closing_a_chat_frees_both_sides_and_names_the_partner(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)

    assert await usecases.close_chat(1) == ChatClosed(chat_id, partner_id=2)

    assert await usecases.get_current_chat(1) == Idle()
    assert await usecases.get_current_chat(2) == Idle()
    assert (await usecases.get_stats()).active_chats == 0


async def test_closing_an_already_closed_chat_changes_nothing(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    await ended_chat_between(usecases, 1, 2)

    assert await usecases.close_chat(1) == NoChat()
    assert await usecases.close_chat(2) == NoChat()
    assert await usecases.close_chat(404) == NoChat()


async def test_after_closing_both_can_meet_someone_new(usecases: UseCases) -> None:
    for user_id in (1, 2, 3, 4):
        await member(usecases, user_id)
    await ended_chat_between(usecases, 1, 2)

    await chat_between(usecases, 1, 3)
    await chat_between(usecases, 2, 4)


async def test_a_partner_can_be_liked_once_per_chat(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await ended_chat_between(usecases, 1, 2)

    assert await usecases.rate_partner(1, chat_id, 1) == Rated()
    assert await usecases.rate_partner(1, chat_id, 1) == AlreadyRated()
    assert await usecases.rate_partner(1, chat_id, -1) == AlreadyRated()

    rated = await usecases.get_user(2)
    assert rated is not None and rated.reputation == Reputation(likes=1, dislikes=0)


async def test_each_side_rates_the_other_and_reputation_adds_up(usecases: UseCases) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    first = await ended_chat_between(usecases, 1, 2)
    second = await ended_chat_between(usecases, 3, 2)

    assert await usecases.rate_partner(1, first, -1) == Rated()
    assert await usecases.rate_partner(2, first, 1) == Rated()
    assert await usecases.rate_partner(3, second, 1) == Rated()

    one, two = await usecases.get_user(1), await usecases.get_user(2)
    assert one is not None and one.reputation == Reputation(likes=1, dislikes=0)
    assert two is not None and two.reputation == Reputation(likes=1, dislikes=1)


async def test_only_the_two_sides_of_a_chat_may_rate_it(usecases: UseCases) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    chat_id = await ended_chat_between(usecases, 1, 2)

    assert await usecases.rate_partner(3, chat_id, 1) == NotYourChat()
    assert await usecases.rate_partner(1, chat_id + 1000, 1) == NotYourChat()


async def test_a_chat_cannot_be_rated_while_it_is_going_on(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)

    assert await usecases.rate_partner(1, chat_id, 1) == ChatStillActive()
    partner = await usecases.get_user(2)
    assert partner is not None and partner.reputation == Reputation()


@pytest.mark.parametrize("value", [0, 2, -2])
async def test_a_rating_is_a_like_or_a_dislike(usecases: UseCases, value: int) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await ended_chat_between(usecases, 1, 2)
    with pytest.raises(ValueError, match="rating"):
        await usecases.rate_partner(1, chat_id, value)


# --- reports -----------------------------------------------------------------------------


@pytest.fixture
def report_partner(db: Database) -> ReportPartner:
    """Two reports from distinct users ban."""
    return ReportPartner(db, ReportPolicy(threshold=2, window=timedelta(hours=24), ban_for=timedelta(hours=6)))


async def test_a_report_is_filed_with_its_reason(
    usecases: UseCases, report_partner: ReportPartner, pool: asyncpg.Pool[Any]
) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await ended_chat_between(usecases, 1, 2)

    assert await report_partner(1, chat_id, "spam") == Reported(reported_id=2, banned_until=None)

    rows = await pool.fetch("SELECT chat_id, reporter_id, reported_id, reason FROM reports")
    assert [tuple(row) for row in rows] == [(chat_id, 1, 2, "spam")]
    assert (await usecases.get_stats()).open_reports == 1


async def test_a_partner_can_be_reported_during_the_chat(usecases: UseCases, report_partner: ReportPartner) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)
    assert await report_partner(2, chat_id, "abuse") == Reported(reported_id=1, banned_until=None)


async def test_reports_from_enough_distinct_users_ban_the_reported_one_and_take_them_out_of_the_queue(
    usecases: UseCases, report_partner: ReportPartner
) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    first = await ended_chat_between(usecases, 1, 2)
    second = await ended_chat_between(usecases, 1, 3)
    assert await usecases.start_search(1) == Waiting()
    before = datetime.now(UTC)

    assert await report_partner(2, first, "spam") == Reported(reported_id=1, banned_until=None)
    reported = await report_partner(3, second, "abuse")

    assert isinstance(reported, Reported) and reported.reported_id == 1
    assert reported.banned_until is not None
    assert before + timedelta(hours=6) <= reported.banned_until <= datetime.now(UTC) + timedelta(hours=6)
    assert await usecases.get_current_chat(1) == Idle()
    assert await usecases.start_search(1) == Banned(reported.banned_until)
    user = await usecases.get_user(1)
    assert user is not None and user.banned_until == reported.banned_until


async def test_one_user_reporting_twice_counts_once(usecases: UseCases, report_partner: ReportPartner) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    first = await ended_chat_between(usecases, 1, 2)
    second = await ended_chat_between(usecases, 1, 2)

    assert await report_partner(2, first, "spam") == Reported(reported_id=1, banned_until=None)
    assert await report_partner(2, first, "abuse") == AlreadyReported()
    # another chat with the same reporter: a new report, still a single reporter
    assert await report_partner(2, second, "spam") == Reported(reported_id=1, banned_until=None)
    user = await usecases.get_user(1)
    assert user is not None and user.banned_until is None


async def test_old_reports_fall_out_of_the_window(
    usecases: UseCases, report_partner: ReportPartner, pool: asyncpg.Pool[Any]
) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    first = await ended_chat_between(usecases, 1, 2)
    second = await ended_chat_between(usecases, 1, 3)
    await report_partner(2, first, "spam")
    await pool.execute("UPDATE reports SET created_at = now() - interval '25 hours'")

    assert await report_partner(3, second, "spam") == Reported(reported_id=1, banned_until=None)


async def test_only_the_two_sides_of_a_chat_may_report_it(usecases: UseCases, report_partner: ReportPartner) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    chat_id = await ended_chat_between(usecases, 1, 2)

    assert await report_partner(3, chat_id, "spam") == NotYourChat()
    assert await report_partner(1, chat_id + 1000, "spam") == NotYourChat()


async def test_a_report_needs_a_known_reason(usecases: UseCases, report_partner: ReportPartner) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await ended_chat_between(usecases, 1, 2)
    with pytest.raises(ValueError, match="reason"):
        await report_partner(1, chat_id, "boring")


# --- blocks ------------------------------------------------------------------------------


async def test_blocking_the_partner_ends_the_chat(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)

    assert await usecases.block_partner(1, chat_id) == Blocked(blocked_id=2, ended_chat=ChatClosed(chat_id, 2))

    assert await usecases.get_current_chat(1) == Idle()
    assert await usecases.get_current_chat(2) == Idle()


@pytest.mark.parametrize("blocker", [1, 2])
@pytest.mark.parametrize("first_to_search", [1, 2])
async def test_a_blocked_pair_is_never_paired_again_even_when_both_search(
    usecases: UseCases, blocker: int, first_to_search: int
) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    chat_id = await chat_between(usecases, 1, 2)
    await usecases.block_partner(blocker, chat_id)

    assert await usecases.start_search(first_to_search) == Waiting()
    assert await usecases.start_search(3 - first_to_search) == Waiting()
    # both are still available to anyone else
    result = await usecases.start_search(3)
    assert isinstance(result, Paired) and result.partner.id == first_to_search


async def test_blocking_after_the_chat_ended_leaves_the_current_chat_alone(usecases: UseCases) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    old_chat = await ended_chat_between(usecases, 1, 2)
    new_chat = await chat_between(usecases, 1, 3)

    assert await usecases.block_partner(1, old_chat) == Blocked(blocked_id=2, ended_chat=None)
    assert await usecases.block_partner(1, old_chat) == Blocked(blocked_id=2, ended_chat=None)

    assert await usecases.get_current_chat(1) == InChat(new_chat, partner_id=3)


async def test_only_the_two_sides_of_a_chat_may_block_through_it(usecases: UseCases) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    chat_id = await chat_between(usecases, 1, 2)

    assert await usecases.block_partner(3, chat_id) == NotYourChat()
    assert await usecases.get_current_chat(1) == InChat(chat_id, partner_id=2)


# --- moderation --------------------------------------------------------------------------


async def test_a_ban_ends_the_chat_and_the_search_until_it_is_lifted(usecases: UseCases) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    chat_id = await chat_between(usecases, 1, 2)

    banned = await usecases.ban_user(1, timedelta(days=1))

    assert not isinstance(banned, UserNotFound)
    user, ended = banned
    assert ended == ChatClosed(chat_id, partner_id=2)
    assert user.banned_until is not None and user.banned_until > datetime.now(UTC) + timedelta(hours=23)
    assert await usecases.get_current_chat(2) == Idle()
    assert await usecases.start_search(1) == Banned(user.banned_until)

    unbanned = await usecases.ban_user(1, None)

    assert not isinstance(unbanned, UserNotFound)
    assert unbanned[0].banned_until is None and unbanned[1] is None
    assert await usecases.start_search(1) == Waiting()


async def test_banning_a_searching_user_takes_them_out_of_the_queue(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    await usecases.start_search(1)

    banned = await usecases.ban_user(1, timedelta(hours=1))

    assert not isinstance(banned, UserNotFound) and banned[1] is None
    assert await usecases.get_current_chat(1) == Idle()
    assert await usecases.start_search(2) == Waiting()


async def test_banning_an_unknown_user_says_so(usecases: UseCases) -> None:
    assert await usecases.ban_user(404, timedelta(hours=1)) == UserNotFound(404)
    assert await usecases.ban_user(404, None) == UserNotFound(404)


async def test_blocking_the_bot_ends_the_chat_and_the_search(usecases: UseCases) -> None:
    for user_id in (1, 2, 3, 4):
        await member(usecases, user_id)
    chat_id = await chat_between(usecases, 1, 2)
    await usecases.start_search(3)

    assert await usecases.set_bot_blocked(1, True) == ChatClosed(chat_id, partner_id=2)
    assert await usecases.set_bot_blocked(3, True) == NoChat()

    assert await usecases.get_current_chat(2) == Idle()
    assert await usecases.get_current_chat(3) == Idle()
    assert await usecases.start_search(4) == Waiting()


async def test_unblocking_the_bot_lets_the_user_meet_people_again(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    await usecases.set_bot_blocked(1, True)

    assert await usecases.set_bot_blocked(1, False) == NoChat()

    await chat_between(usecases, 1, 2)


async def test_stats_count_users_chats_searches_messages_and_open_reports(usecases: UseCases) -> None:
    for user_id in (1, 2, 3, 4, 5):
        await member(usecases, user_id)
    ended = await ended_chat_between(usecases, 1, 2)
    await usecases.report_partner(1, ended, "spam")
    await chat_between(usecases, 3, 4)
    await usecases.send_message(3, 1, MessageContent.text_message("hi"))
    await usecases.send_message(4, 1, MessageContent.text_message("hey"))
    await usecases.start_search(5)

    stats = await usecases.get_stats()

    assert (stats.users, stats.new_users_24h) == (5, 5)
    assert (stats.active_chats, stats.searching) == (1, 1)
    assert (stats.messages_24h, stats.open_reports) == (2, 1)


async def test_history_and_update_ids_past_retention_are_purged(usecases: UseCases, pool: asyncpg.Pool[Any]) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await chat_between(usecases, 1, 2)
    await usecases.send_message(1, 10, MessageContent.text_message("last week"))
    await usecases.send_message(2, 11, MessageContent.text_message("today"))
    await pool.execute("UPDATE messages SET created_at = now() - interval '8 days' WHERE source_message_id = 10")
    await pool.execute(
        "INSERT INTO processed_updates (update_id, processed_at) VALUES (1, now() - interval '2 days'), (2, now())"
    )

    assert await usecases.purge_expired() == (1, 1)

    assert [m.content.text for m in await usecases.get_chat_history(chat_id)] == ["today"]
    assert await pool.fetchval("SELECT array_agg(update_id) FROM processed_updates") == [2]
    assert await usecases.purge_expired() == (0, 0)


async def test_an_update_delivered_twice_takes_effect_once(usecases: UseCases) -> None:
    await member(usecases, 1)

    async def handle(update_id: int, effect: Callable[[], Awaitable[object]]) -> object:
        token = current_update.set(UpdateMark(update_id))
        try:
            return await effect()
        finally:
            current_update.reset(token)

    assert await handle(42, lambda: usecases.start_search(1)) == Waiting()
    with pytest.raises(DuplicateUpdate):
        await handle(42, lambda: usecases.cancel_search(1))

    assert await usecases.get_current_chat(1) == Searching()
    assert await handle(43, lambda: usecases.cancel_search(1)) == SearchCancelled()


# --- what the database itself guarantees -------------------------------------------------


async def test_the_database_refuses_a_second_active_chat_for_a_user(usecases: UseCases, db: Database) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    await chat_between(usecases, 1, 2)

    for other_side in ((1, 3), (3, 2)):
        async with db.uow() as uow:
            with pytest.raises(asyncpg.UniqueViolationError):
                await uow.chats.create(*other_side)

    with pytest.raises(asyncpg.UniqueViolationError):
        await db.pool.execute(
            "WITH chat AS (INSERT INTO chats (user_a, user_b) VALUES (1, 3) RETURNING id)"
            " INSERT INTO chat_participants (chat_id, user_id) SELECT id, 1 FROM chat"
        )
    assert (await usecases.get_stats()).active_chats == 1


async def test_the_database_refuses_a_chat_with_oneself(db: Database) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await db.pool.execute("INSERT INTO chats (user_a, user_b) VALUES (1, 1)")


async def test_a_unit_of_work_rolls_back_unless_committed(usecases: UseCases, db: Database) -> None:
    async with db.uow() as uow:
        await uow.users.register(1, Language.EN)
        assert await uow.users.get(1) is not None

    assert await usecases.get_user(1) is None


async def test_a_unit_of_work_rolls_back_when_an_error_escapes(usecases: UseCases, db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with db.uow() as uow:
            await uow.users.register(1, Language.EN)
            raise RuntimeError("boom")

    assert await usecases.get_user(1) is None


async def test_a_unit_of_work_keeps_what_it_committed(usecases: UseCases, db: Database) -> None:
    async with db.uow() as uow:
        await uow.users.register(1, Language.EN)
        await uow.commit()

    assert await usecases.get_user(1) is not None


async def test_a_unit_of_work_is_not_re_entrant_and_commits_only_inside(db: Database) -> None:
    uow = db.uow()
    with pytest.raises(RuntimeError):
        await uow.commit()
    async with uow:
        with pytest.raises(RuntimeError):
            await uow.__aenter__()
