"""Repositories: a method per query in `sql/`, records become domain objects here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from roulette.age_wall import AcrossTheWall
from roulette.domain import Gender
from roulette.domain import Interests
from roulette.domain import InterestsMode
from roulette.domain import Language
from roulette.domain import MediaDelivery
from roulette.domain import Message
from roulette.domain import MessageContent
from roulette.domain import MessageKind
from roulette.domain import PartnerGender
from roulette.domain import PartnerLanguage
from roulette.domain import Profile
from roulette.domain import Reputation
from roulette.domain import SearchPreferences
from roulette.domain import User
from roulette.storage import exactly_once
from roulette.storage.queries import sql

if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]

_GET_USER = sql("get_user")
_REGISTER_USER = sql("register_user")
_UPDATE_PROFILE = sql("update_profile")
_UPDATE_PREFERENCES = sql("update_preferences")
_SET_LANGUAGE = sql("set_language")
_DELETE_USER = sql("delete_user")
_SET_BOT_BLOCKED = sql("set_bot_blocked")
_SET_BANNED_UNTIL = sql("set_banned_until")
_SET_PARTNER_MEDIA = sql("set_partner_media")
_SET_AGE_BY_ADMIN = sql("set_age_by_admin")
_LOCK_QUEUE_CHANGES = sql("lock_queue_changes")
_START_SEARCH = sql("start_search")
PAIRING_ATTEMPTS = 20  # runs of a search whose chosen partner is taken meanwhile (_pairing_step)
_DEQUEUE_SEARCH = sql("dequeue_search")
_KEEP_PLACE_IN_QUEUE = sql("keep_place_in_queue")
_IS_SEARCHING = sql("is_searching")
_CREATE_CHAT = sql("create_chat")
_GET_ACTIVE_CHAT = sql("get_active_chat")
_END_ACTIVE_CHAT = sql("end_active_chat")
_RECORD_RELAYED_MANY = sql("record_relayed_many")
_FIND_RELAYED_COPY = sql("find_relayed_copy")
_CHAT_HISTORY = sql("chat_history")


def preferences_from_record(record: asyncpg.Record) -> SearchPreferences:
    return SearchPreferences(
        partner_gender=PartnerGender(record["partner_gender"]),
        age_min=record["partner_age_min"],
        age_max=record["partner_age_max"],
        interests_mode=InterestsMode(record["interests_mode"]),
        partner_language=PartnerLanguage(record["partner_language"]),
    )


def user_from_record(record: asyncpg.Record) -> User:
    gender = record["gender"]
    return User(
        id=record["id"],
        language=Language(record["language"]),
        profile=Profile(
            gender=Gender(gender) if gender is not None else None,
            age=record["age"],
            interests=Interests.of(record["interests"]),
        ),
        preferences=preferences_from_record(record),
        reputation=Reputation(likes=record["likes"], dislikes=record["dislikes"]),
        banned_until=record["banned_until"],
        # the pairing function returns users without it: it plays no part in pairing
        partner_media=MediaDelivery(media) if (media := record.get("partner_media")) is not None else None,
    )


class UserRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def get(self, user_id: int) -> User | None:
        """One user, or None."""
        record = await self._connection.fetchrow(_GET_USER, user_id)
        return user_from_record(record) if record is not None else None

    async def register(self, user_id: int, language: Language) -> tuple[User, bool]:
        """The user, created if new; the flag says whether it was."""
        record = await self._connection.fetchrow(_REGISTER_USER, user_id, language.value)
        if record is None:  # created by a concurrent transaction that committed meanwhile
            record = await self._connection.fetchrow(_GET_USER, user_id)
            assert record is not None
            return user_from_record(record), False
        return user_from_record(record), bool(record["created"])

    async def update_profile(self, user_id: int, profile: Profile) -> User | None:
        """Replace gender, age and interests; AcrossTheWall for an age outside the user's class."""
        try:
            record = await self._connection.fetchrow(
                _UPDATE_PROFILE,
                user_id,
                profile.gender.value if profile.gender else None,
                profile.age,
                profile.interests.ordered(),
            )
        except asyncpg.CheckViolationError as error:
            if error.constraint_name == "users_age_in_class":
                raise AcrossTheWall(str(error)) from error
            raise
        return user_from_record(record) if record is not None else None

    async def update_preferences(self, user_id: int, preferences: SearchPreferences) -> User | None:
        """Replace the search preferences."""
        record = await self._connection.fetchrow(
            _UPDATE_PREFERENCES,
            user_id,
            preferences.partner_gender.value,
            preferences.age_min,
            preferences.age_max,
            preferences.interests_mode.value,
            preferences.partner_language.value,
        )
        return user_from_record(record) if record is not None else None

    async def set_age_by_admin(self, user_id: int, age: int, preferences: SearchPreferences) -> User | None:
        """Set the age, whichever class it is in, with the partner ages fitted to that class."""
        record = await self._connection.fetchrow(
            _SET_AGE_BY_ADMIN, user_id, age, preferences.age_min, preferences.age_max
        )
        return user_from_record(record) if record is not None else None

    async def set_language(self, user_id: int, language: Language) -> User | None:
        """Change the interface language."""
        record = await self._connection.fetchrow(_SET_LANGUAGE, user_id, language.value)
        return user_from_record(record) if record is not None else None

    async def delete(self, user_id: int) -> bool:
        """Erase the user's own data; False if there was no such user."""
        return await self._connection.fetchval(_DELETE_USER, user_id) is not None

    async def set_bot_blocked(self, user_id: int, blocked: bool) -> bool:
        """Record that the user blocked or unblocked the bot; False if nothing changed."""
        return await self._connection.fetchval(_SET_BOT_BLOCKED, user_id, blocked) is not None

    async def set_banned_until(self, user_id: int, until: datetime | None) -> User | None:
        """Ban until `until`, or lift the ban with None."""
        record = await self._connection.fetchrow(_SET_BANNED_UNTIL, user_id, until)
        return user_from_record(record) if record is not None else None

    async def set_partner_media(self, user_id: int, delivery: MediaDelivery | None) -> User | None:
        """How partners' media reach the user; None: the default for their age."""
        record = await self._connection.fetchrow(
            _SET_PARTNER_MEDIA, user_id, delivery.value if delivery is not None else None
        )
        return user_from_record(record) if record is not None else None


@dataclass(frozen=True, slots=True)
class QueuePlace:
    since: datetime
    hinted_at: datetime | None


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    me: User
    complete: bool
    banned: bool
    active_chat: ActiveChat | None
    searching: bool
    chat_id: int | None  # set when paired
    partner: User | None  # set when paired
    queued: bool


class QueueRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def lock_queue_changes(self) -> None:
        """The pairing lock, for a change that takes a user out of the queue for good."""
        await self._connection.execute(_LOCK_QUEUE_CHANGES)

    async def start_search(self, user_id: int) -> SearchOutcome | None:
        """The whole pairing step, lock included (see sql/start_search.sql); None for an unknown user.

        Run it outside a transaction (the pairing lock is held only while it runs) or in one that
        holds the pairing lock exclusively (sql/lock_queue_changes.sql), keeping out every other
        search. It records the update being handled itself, in the same statement (exactly_once)."""
        async with exactly_once.recorded_by_statement() as update_id:
            records = await self._pairing_step(user_id, update_id)
            if update_id is not None and any(record["role"] == "duplicate" for record in records):
                raise exactly_once.DuplicateUpdate(update_id)
        me = next((record for record in records if record["role"] == "me"), None)
        if me is None:
            return None
        partner = next((record for record in records if record["role"] == "partner"), None)
        return SearchOutcome(
            me=user_from_record(me),
            complete=me["complete"],
            banned=me["banned"],
            active_chat=(
                ActiveChat(me["active_chat_id"], me["active_partner_id"]) if me["active_chat_id"] is not None else None
            ),
            searching=me["searching"],
            chat_id=me["chat_id"],
            partner=user_from_record(partner) if partner is not None else None,
            queued=me["queued"],
        )

    async def _pairing_step(self, user_id: int, update_id: int | None) -> list[asyncpg.Record]:
        """The pairing function, run again when the partner it chose was taken meanwhile: it then
        fails, having changed nothing (end of sql/functions/start_search.sql), and each failure
        means another search or a cancel committed. In a transaction, a savepoint undoes it."""
        for attempt in range(1, PAIRING_ATTEMPTS + 1):
            try:
                if not self._connection.is_in_transaction():
                    return await self._connection.fetch(_START_SEARCH, user_id, update_id)
                async with self._connection.transaction():
                    return await self._connection.fetch(_START_SEARCH, user_id, update_id)
            except asyncpg.SerializationError:
                if attempt == PAIRING_ATTEMPTS:
                    raise
        return []  # not reached: the last attempt returns or raises

    async def dequeue(self, user_id: int) -> bool:
        """Leave the queue; False if not in it."""
        return await self.leave(user_id) is not None

    async def leave(self, user_id: int) -> QueuePlace | None:
        """Leave the queue, returning the place held there; None if not in it."""
        record = await self._connection.fetchrow(_DEQUEUE_SEARCH, user_id)
        return None if record is None else QueuePlace(record["enqueued_at"], record["hinted_at"])

    async def keep_place(self, user_id: int, place: QueuePlace) -> None:
        """A search started again at once takes the place of the one it replaced."""
        await self._connection.execute(_KEEP_PLACE_IN_QUEUE, user_id, place.since, place.hinted_at)

    async def is_searching(self, user_id: int) -> bool:
        """Is the user waiting in the queue?"""
        return bool(await self._connection.fetchval(_IS_SEARCHING, user_id))


@dataclass(frozen=True, slots=True)
class ActiveChat:
    chat_id: int
    partner_id: int


class ChatRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def create(self, user_a: int, user_b: int) -> int:
        """Open a chat between two users; the database refuses a second active chat."""
        chat_id: int = await self._connection.fetchval(_CREATE_CHAT, user_a, user_b)
        return chat_id

    async def active_chat_of(self, user_id: int) -> ActiveChat | None:
        """The user's active chat, if any."""
        record = await self._connection.fetchrow(_GET_ACTIVE_CHAT, user_id)
        return ActiveChat(record["chat_id"], record["partner_id"]) if record is not None else None

    async def end_active_chat_of(self, user_id: int, reason: str, *, tell_leaver: bool = False) -> ActiveChat | None:
        """End the user's active chat for both; None if there was none. The partner's notice (and the
        leaver's, with `tell_leaver`) is written to the outbox with it."""
        record = await self._connection.fetchrow(_END_ACTIVE_CHAT, user_id, reason, tell_leaver)
        return ActiveChat(record["id"], record["partner_id"]) if record is not None else None


@dataclass(frozen=True, slots=True)
class EditedMessage:
    partner_id: int | None  # None: the sender is not in a chat
    flooded: bool  # over the flood limit: nothing recorded
    message_id: int | None  # None: no such message in the active chat (or flooded)
    relayed_message_id: int | None
    partner_media: MediaDelivery | None
    partner_age: int | None


def media_of(value: str | None) -> MediaDelivery | None:
    return MediaDelivery(value) if value is not None else None


def message_from_record(record: asyncpg.Record) -> Message:
    return Message(
        id=record["id"],
        chat_id=record["chat_id"],
        sender_id=record["sender_id"],
        content=MessageContent(
            MessageKind(record["kind"]), text=record["text"], caption=record["caption"], file_id=record["file_id"]
        ),
        source_message_id=record["source_message_id"],
        relayed_message_id=record["relayed_message_id"],
        media_group_id=record["media_group_id"],
        created_at=record["created_at"],
    )


class MessageRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def record_relayed(self, copies: list[tuple[int, int]]) -> None:
        """Remember the partner-side ids of relayed messages: (message id, copy's id) pairs."""
        await self._connection.execute(
            _RECORD_RELAYED_MANY, [message_id for message_id, _ in copies], [copy_id for _, copy_id in copies]
        )

    async def record_edit(
        self,
        sender_id: int,
        source_message_id: int,
        text: str | None,
        caption: str | None,
        flood_limit: int,
        flood_window_seconds: float,
    ) -> EditedMessage:
        """Store an edit of a message in the sender's active chat (edits count against the flood
        guard like messages) and say where its copy is."""
        record = await self._connection.fetchrow(
            _FIND_RELAYED_COPY, sender_id, source_message_id, text, caption, flood_limit, flood_window_seconds
        )
        assert record is not None
        return EditedMessage(
            record["partner_id"],
            record["flooded"],
            record["message_id"],
            record["relayed_message_id"],
            media_of(record["partner_media"]),
            record["partner_age"],
        )

    async def history(self, chat_id: int) -> list[Message]:
        """A chat's messages in order (their latest versions)."""
        return [message_from_record(record) for record in await self._connection.fetch(_CHAT_HISTORY, chat_id)]
