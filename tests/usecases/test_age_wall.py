"""The wall between adults and minors, against a real database: a user's class is fixed by the first
age they declare, wished partner ages stay within it, and only an admin can move someone across."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from roulette.age_wall import fitted_to_class
from roulette.age_wall import may_change_age
from roulette.age_wall import within_class
from roulette.domain import Language
from roulette.domain import Profile
from roulette.domain import SearchPreferences
from roulette.invariants import find_violations
from roulette.usecases import UseCases
from roulette.usecases.account import UserNotFound
from roulette.usecases.chat import ChatClosed
from roulette.usecases.moderation import ReportUnavailable
from roulette.usecases.profile import AgesOutsideClass
from roulette.usecases.profile import EditRefused
from roulette.usecases.profile import Saved
from roulette.usecases.search import InChat
from roulette.usecases.search import Paired
from roulette.usecases.search import SearchOutcome
from roulette.usecases.search import Unpaired
from tests.support.members import MAN
from tests.support.members import WOMAN
from tests.support.members import chat_between
from tests.support.members import member
from tests.support.members import wait_until_a_query_waits_for_a_lock

ADMIN = 900


# --- the rules, without a database ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [(None, 15, True), (None, 30, True), (25, 40, True), (25, 18, True), (15, 17, True), (13, 16, True),
     (25, 17, False), (18, 15, False), (17, 18, False), (15, 30, False)],
)  # fmt: skip
def test_an_age_may_change_within_its_class_only(current: int | None, new: int, allowed: bool) -> None:
    assert may_change_age(current, new) is allowed


@pytest.mark.parametrize(
    ("age", "wished", "kept"),
    [(30, (13, 99), (18, 99)), (30, (16, 24), (18, 24)), (30, (13, 17), None), (15, (13, 99), (13, 17)),
     (15, (25, 34), None), (15, (14, 16), (14, 16)), (17, (18, 24), None), (None, (13, 17), (13, 17))],
)  # fmt: skip
def test_wished_partner_ages_are_cut_to_the_users_own_class(
    age: int | None, wished: tuple[int, int], kept: tuple[int, int] | None
) -> None:
    cut = within_class(SearchPreferences(age_min=wished[0], age_max=wished[1]), age)
    assert (None if cut is None else (cut.age_min, cut.age_max)) == kept


def test_wishes_outside_the_class_become_the_whole_class_once_the_age_is_set() -> None:
    assert fitted_to_class(SearchPreferences(age_min=25, age_max=34), 15) == SearchPreferences(age_min=13, age_max=17)
    assert fitted_to_class(SearchPreferences(age_min=13, age_max=17), 40) == SearchPreferences(age_min=18, age_max=99)


# --- the user's own edits -------------------------------------------------------------------------


async def test_an_adult_cannot_become_a_minor_by_editing_their_age(usecases: UseCases) -> None:
    adult = await member(usecases, 1, MAN, 25)

    assert await usecases.update_profile(1, Profile(MAN, 15)) is EditRefused.AGE_ACROSS_THE_WALL
    assert await usecases.get_user(1) == adult
    updated = await usecases.update_profile(1, Profile(MAN, 18))
    assert isinstance(updated, Saved) and updated.user.profile.age == 18


async def test_a_minor_cannot_become_an_adult_by_editing_their_age(usecases: UseCases) -> None:
    await member(usecases, 1, WOMAN, 15)

    assert await usecases.update_profile(1, Profile(WOMAN, 18)) is EditRefused.AGE_ACROSS_THE_WALL
    assert await usecases.update_profile(1, Profile(WOMAN, 99)) is EditRefused.AGE_ACROSS_THE_WALL
    updated = await usecases.update_profile(1, Profile(WOMAN, 17))
    assert isinstance(updated, Saved) and updated.user.profile.age == 17


async def test_the_database_refuses_an_age_across_the_class_from_any_query(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    await member(usecases, 1, MAN, 25)
    await member(usecases, 2, WOMAN, 15)

    for statement in ("UPDATE users SET age = 17 WHERE id = 1", "UPDATE users SET age = 18 WHERE id = 2"):
        with pytest.raises(asyncpg.CheckViolationError, match="users_age_in_class"):
            await pool.execute(statement)
    await pool.execute("UPDATE users SET age = 40 WHERE id = 1")  # within the class: fine
    assert await pool.fetchval("SELECT age_class FROM users WHERE id = 1") == "adult"


async def test_the_first_age_declared_sets_the_class_and_fits_the_wished_ages_to_it(usecases: UseCases) -> None:
    await usecases.register_user(1, Language.EN)
    # wishes chosen before the profile was complete: nobody of the class the age then sets
    await usecases.update_preferences(1, SearchPreferences(age_min=25, age_max=34))

    saved = await usecases.update_profile(1, Profile(WOMAN, 15))

    assert isinstance(saved, Saved) and (saved.user.preferences.age_min, saved.user.preferences.age_max) == (13, 17)


async def test_partner_ages_outside_ones_own_class_are_refused_and_change_nothing(usecases: UseCases) -> None:
    adult = await member(usecases, 1, MAN, 30, ages=(25, 34))
    minor = await member(usecases, 2, WOMAN, 15)

    assert await usecases.update_preferences(1, SearchPreferences(age_min=13, age_max=17)) == AgesOutsideClass(18, 99)
    assert await usecases.update_preferences(2, SearchPreferences(age_min=25, age_max=34)) == AgesOutsideClass(13, 17)
    assert await usecases.get_user(1) == adult and await usecases.get_user(2) == minor

    cut = await usecases.update_preferences(1, SearchPreferences(age_min=16, age_max=24))
    assert isinstance(cut, Saved) and (cut.user.preferences.age_min, cut.user.preferences.age_max) == (18, 24)


# --- an admin's correction ------------------------------------------------------------------------


async def test_an_admin_moves_a_user_across_the_wall_ending_their_chat_and_search(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    await member(usecases, 1, MAN, 25)
    await member(usecases, 2, WOMAN, 30, ages=(25, 34))
    chat_id = await chat_between(usecases, 1, 2)

    result = await usecases.set_age(ADMIN, 2, 16)

    assert isinstance(result, Saved) and result.ended_chat == ChatClosed(chat_id, 1)
    assert result.user.profile.age == 16
    assert (result.user.preferences.age_min, result.user.preferences.age_max) == (13, 17)
    assert await usecases.get_current_chat(1) is Unpaired.IDLE and await usecases.get_current_chat(2) is Unpaired.IDLE
    # both are told by the outbox, neither why: the partner "left", the user's chat "is over"
    notices = await pool.fetch("SELECT kind, recipient_id FROM outbox ORDER BY id")
    assert [(n["kind"], n["recipient_id"]) for n in notices][-2:] == [("partner_left", 1), ("you_left", 2)]
    assert await pool.fetchval("SELECT end_reason FROM chats WHERE id = $1", chat_id) == "no_longer_compatible"
    audit = await pool.fetch("SELECT admin_id, action, target_user_id FROM admin_audit")
    assert [tuple(row) for row in audit] == [(ADMIN, "set_age", 2)]
    # now a minor: paired with minors only
    await member(usecases, 3, MAN, 16)
    assert await usecases.start_search(3) is SearchOutcome.WAITING
    assert isinstance(await usecases.start_search(2), Paired)
    assert await find_violations(pool) == []


async def test_an_admin_correction_within_the_class_leaves_the_chat_alone(usecases: UseCases) -> None:
    await member(usecases, 1, MAN, 25)
    await member(usecases, 2, WOMAN, 30)
    chat_id = await chat_between(usecases, 1, 2)

    result = await usecases.set_age(ADMIN, 2, 45)

    assert isinstance(result, Saved) and result.ended_chat is None and result.user.profile.age == 45
    assert await usecases.get_current_chat(2) == InChat(chat_id, 1)


async def test_an_admin_names_the_user_by_a_reports_token(usecases: UseCases, pool: asyncpg.Pool[Any]) -> None:
    await member(usecases, 1, MAN, 25)
    await member(usecases, 2, WOMAN, 30)
    chat_id = await chat_between(usecases, 1, 2)
    await usecases.close_chat(1)
    await pool.execute(
        "INSERT INTO reports (chat_id, reporter_id, reported_id, reason) VALUES ($1, 1, 2, 'minor')", chat_id
    )
    [report] = await pool.fetch("SELECT id, token FROM reports")
    report_id, token = report["id"], UUID(str(report["token"]))  # as the admin's command parses it

    result = await usecases.set_age(ADMIN, token, 15)

    assert isinstance(result, Saved) and result.user.id == 2 and result.user.profile.age == 15
    audit = await pool.fetch("SELECT action, report_id, target_user_id FROM admin_audit")
    assert [tuple(row) for row in audit] == [("set_age", report_id, 2)]
    assert await usecases.set_age(ADMIN, 404, 20) == UserNotFound(404)
    assert await usecases.set_age(ADMIN, UUID(int=1), 20) is ReportUnavailable.NOT_FOUND


async def test_an_own_edit_racing_an_admins_correction_across_the_wall_is_refused(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    await member(usecases, 1, MAN, 25)
    async with pool.acquire() as admin:
        transaction = admin.transaction()
        await transaction.start()
        # the admin's correction, not committed yet: the user's edit reads the old class
        await admin.execute("UPDATE users SET age = 16, age_class = 'minor' WHERE id = 1")
        edit = asyncio.create_task(usecases.update_profile(1, Profile(MAN, 30)))
        await wait_until_a_query_waits_for_a_lock(pool)
        await transaction.commit()

        assert await edit is EditRefused.AGE_ACROSS_THE_WALL
    user = await usecases.get_user(1)
    assert user is not None and user.profile.age == 16
