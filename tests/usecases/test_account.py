"""Account use cases against a real database: registration, profile, wishes, language, deletion."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from roulette.domain import Interests
from roulette.domain import InterestsMode
from roulette.domain import Language
from roulette.domain import MessageContent
from roulette.domain import MessageKind
from roulette.domain import PartnerGender
from roulette.domain import Profile
from roulette.domain import Reputation
from roulette.domain import SearchPreferences
from roulette.domain import User
from roulette.usecases import UseCases
from roulette.usecases.account import Deleted
from roulette.usecases.account import UserNotFound
from roulette.usecases.chat import ChatClosed
from roulette.usecases.profile import Saved
from roulette.usecases.search import SearchOutcome
from roulette.usecases.search import Unpaired
from tests.support.members import MAN
from tests.support.members import WOMAN
from tests.support.members import member
from tests.support.members import members_in_chat

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
    assert isinstance(changed, Saved) and changed.user.language is Language.RU
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
    chat_id = await members_in_chat(usecases, 1, 2)
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
    chat_id = await members_in_chat(usecases, 1, 2)
    await usecases.send_message(1, 10, MessageContent.text_message("mine"))
    await usecases.send_message(2, 20, MessageContent.text_message("theirs"))
    await usecases.send_message(1, 11, MessageContent.media(MessageKind.PHOTO, "file", "also mine"))

    assert await usecases.delete_user(1) == Deleted(ChatClosed(chat_id, partner_id=2))

    assert await usecases.get_user(1) is None
    assert await usecases.get_current_chat(2) is Unpaired.IDLE
    assert [(m.sender_id, m.content.text) for m in await usecases.get_chat_history(chat_id)] == [(2, "theirs")]


async def test_deleting_a_searching_user_takes_them_out_of_the_queue(usecases: UseCases) -> None:
    await member(usecases, 1)
    assert await usecases.start_search(1) is SearchOutcome.WAITING

    assert await usecases.delete_user(1) == Deleted(None)

    assert (await usecases.get_stats()).searching == 0
    await member(usecases, 2)
    assert await usecases.start_search(2) is SearchOutcome.WAITING


async def test_deleting_an_unknown_user_says_so(usecases: UseCases) -> None:
    assert await usecases.delete_user(404) == UserNotFound(404)


async def test_a_block_against_a_deleted_user_still_holds_when_they_come_back(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)
    await usecases.block_partner(1, chat_id)
    await usecases.delete_user(2)

    await member(usecases, 2)

    assert await usecases.start_search(2) is SearchOutcome.WAITING
    assert await usecases.start_search(1) is SearchOutcome.WAITING
