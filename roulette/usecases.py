"""Use cases: each opens its own Unit of Work, commits, and returns a plain result.

Callers (the Telegram handlers) talk to Telegram only after a use case returned, so a slow
Bot API call never holds a database lock.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from roulette.domain import (
    MAX_CAPTION_LENGTH,
    InvalidMessage,
    Language,
    Message,
    MessageContent,
    Profile,
    SearchPreferences,
    User,
    pairing_obstacle,
)
from roulette.storage.repositories import ActiveChat, DuplicateSearch, Stats
from roulette.storage.uow import Database, DuplicateUpdate, current_update

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserNotFound:
    user_id: int


@dataclass(frozen=True, slots=True)
class Registered:
    user: User
    created: bool


@dataclass(frozen=True, slots=True)
class Paired:
    chat_id: int
    partner: User
    me: User

    @property
    def shared_interests(self) -> frozenset[str]:
        return self.me.profile.interests.shared_with(self.partner.profile.interests)


@dataclass(frozen=True, slots=True)
class Waiting:
    pass


@dataclass(frozen=True, slots=True)
class AlreadyInChat:
    chat_id: int
    partner_id: int


@dataclass(frozen=True, slots=True)
class AlreadySearching:
    pass


@dataclass(frozen=True, slots=True)
class ProfileIncomplete:
    pass


@dataclass(frozen=True, slots=True)
class Banned:
    until: datetime


SearchResult = Paired | Waiting | AlreadyInChat | AlreadySearching | ProfileIncomplete | Banned | UserNotFound


@dataclass(frozen=True, slots=True)
class SearchCancelled:
    pass


@dataclass(frozen=True, slots=True)
class NotSearching:
    pass


@dataclass(frozen=True, slots=True)
class InChat:
    chat_id: int
    partner_id: int


@dataclass(frozen=True, slots=True)
class Searching:
    pass


@dataclass(frozen=True, slots=True)
class Idle:
    pass


ChatStatus = InChat | Searching | Idle


@dataclass(frozen=True, slots=True)
class Relay:
    """Where to copy a message: the partner's chat, as a reply to their copy when given."""

    message_id: int
    chat_id: int
    partner_id: int
    reply_to_message_id: int | None


@dataclass(frozen=True, slots=True)
class AlreadyRelayed:
    """The same message was stored and relayed before (the update arrived twice)."""


@dataclass(frozen=True, slots=True)
class NotInChat:
    pass


@dataclass(frozen=True, slots=True)
class AwaitingInput:
    """The message answers a question of the bot (the FSM `state`); nothing was stored."""

    state: str


@dataclass(frozen=True, slots=True)
class Flooded:
    """The sender is over the flood limit; the message was not stored or relayed."""


SendResult = Relay | AlreadyRelayed | NotInChat | Flooded | AwaitingInput


@dataclass(frozen=True, slots=True)
class FloodPolicy:
    """More than `max_messages` within `window_seconds` are held back."""

    max_messages: int = 20
    window_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class EditRelay:
    partner_id: int
    relayed_message_id: int


@dataclass(frozen=True, slots=True)
class EditNotRelayable:
    """The message is not in an active chat, or was never relayed."""


@dataclass(frozen=True, slots=True)
class ChatClosed:
    chat_id: int
    partner_id: int


@dataclass(frozen=True, slots=True)
class NoChat:
    """Nothing to close: already closed, or never in one."""


@dataclass(frozen=True, slots=True)
class Rated:
    pass


@dataclass(frozen=True, slots=True)
class AlreadyRated:
    pass


@dataclass(frozen=True, slots=True)
class NotYourChat:
    pass


@dataclass(frozen=True, slots=True)
class ChatStillActive:
    pass


RateResult = Rated | AlreadyRated | NotYourChat | ChatStillActive


@dataclass(frozen=True, slots=True)
class Reported:
    reported_id: int
    banned_until: datetime | None  # set when this report crossed the ban threshold
    ended_chat: ChatClosed | None = None  # the banned user's chat, ended by the ban


@dataclass(frozen=True, slots=True)
class AlreadyReported:
    pass


@dataclass(frozen=True, slots=True)
class Blocked:
    blocked_id: int
    ended_chat: ChatClosed | None


@dataclass(frozen=True, slots=True)
class Deleted:
    ended_chat: ChatClosed | None


# --- users -------------------------------------------------------------------------------


class RegisterUser:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, user_id: int, language: Language) -> Registered:
        async with self._db.uow() as uow:
            user, created = await uow.users.register(user_id, language)
            await uow.commit()
        return Registered(user, created)


class GetUser:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, user_id: int) -> User | None:
        async with self._db.uow() as uow:
            return await uow.users.get(user_id)


class UpdateProfile:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, user_id: int, profile: Profile) -> User | UserNotFound:
        async with self._db.uow() as uow:
            user = await uow.users.update_profile(user_id, profile)
            await uow.commit()
        return user if user is not None else UserNotFound(user_id)


class UpdatePreferences:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, user_id: int, preferences: SearchPreferences) -> User | UserNotFound:
        async with self._db.uow() as uow:
            user = await uow.users.update_preferences(user_id, preferences)
            await uow.commit()
        return user if user is not None else UserNotFound(user_id)


class SetLanguage:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, user_id: int, language: Language) -> User | UserNotFound:
        async with self._db.uow() as uow:
            user = await uow.users.set_language(user_id, language)
            await uow.commit()
        return user if user is not None else UserNotFound(user_id)


class DeleteUser:
    """Erase the user's profile, queue entry, the messages they sent, and end their chat."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, user_id: int) -> Deleted | UserNotFound:
        async with self._db.uow() as uow:
            await uow.queue.lock_queue_changes()
            ended = await uow.chats.end_active_chat_of(user_id, "deleted")
            await uow.queue.dequeue(user_id)
            if not await uow.users.delete(user_id):
                return UserNotFound(user_id)
            await uow.commit()
        return Deleted(ChatClosed(ended.chat_id, ended.partner_id) if ended else None)


# --- search ------------------------------------------------------------------------------


class StartSearch:
    """Pair with the best compatible waiting user, or wait in the queue."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, user_id: int) -> SearchResult:
        # One statement, outside a transaction: it takes the pairing lock, and everything it
        # reads afterwards includes every search committed before, so two compatible users can
        # never both end up waiting; the lock is released as soon as it returns.
        mark = current_update.get()
        update_id = mark.update_id if mark is not None and not mark.recorded else None
        async with self._db.statement() as statement:
            outcome = await statement.queue.start_search(user_id, update_id)
        if isinstance(outcome, DuplicateSearch):
            assert update_id is not None
            raise DuplicateUpdate(update_id)
        if mark is not None and update_id is not None:
            mark.recorded = True
        if outcome is None:
            return UserNotFound(user_id)
        me = outcome.me
        if not outcome.complete:
            return ProfileIncomplete()
        if outcome.banned:
            assert me.banned_until is not None
            return Banned(me.banned_until)
        if outcome.active_chat is not None:
            return AlreadyInChat(outcome.active_chat.chat_id, outcome.active_chat.partner_id)
        if outcome.searching:
            return AlreadySearching()
        if outcome.partner is not None:
            assert outcome.chat_id is not None
            reason = pairing_obstacle(me, outcome.partner)
            if reason is not None:  # the SQL and the domain disagree: a bug, never a user's fault
                log.error("chat %s paired against the rules: %s", outcome.chat_id, reason)
            return Paired(outcome.chat_id, partner=outcome.partner, me=me)
        assert outcome.queued
        return Waiting()


class CancelSearch:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, user_id: int) -> SearchCancelled | NotSearching:
        async with self._db.uow() as uow:
            removed = await uow.queue.dequeue(user_id)
            await uow.commit()
        return SearchCancelled() if removed else NotSearching()


class GetCurrentChat:
    """Is the user busy (in a chat, searching) or free?"""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, user_id: int) -> ChatStatus:
        async with self._db.uow() as uow:
            active = await uow.chats.active_chat_of(user_id)
            if active is not None:
                return InChat(active.chat_id, active.partner_id)
            return Searching() if await uow.queue.is_searching(user_id) else Idle()


# --- messages ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InputPrompt:
    """Where the bot's open questions live: the FSM key of a user's private chat, and the states
    in which the bot waits for typed input (the message is the answer, not a chat message)."""

    bot_id: int
    states: tuple[str, ...]


class SendMessage:
    """Store a message in the sender's chat and say where to relay it (one round trip).

    Delivered twice, the same message is stored once; it is relayed again only if it has no
    recorded copy yet, so a crash between storing and copying cannot lose it.
    """

    def __init__(self, db: Database, flood: FloodPolicy | None = None) -> None:
        self._db = db
        self._flood = flood or FloodPolicy()

    async def __call__(
        self,
        sender_id: int,
        source_message_id: int,
        content: MessageContent,
        *,
        media_group_id: str | None = None,
        reply_to_message_id: int | None = None,
        prompt: InputPrompt | None = None,
    ) -> SendResult:
        async with self._db.statement() as statement:
            stored = await statement.messages.store(
                sender_id,
                source_message_id,
                content,
                media_group_id,
                reply_to_message_id,
                self._flood.max_messages,
                self._flood.window_seconds,
                prompt.bot_id if prompt is not None else 0,
                list(prompt.states) if prompt is not None else [],
            )
        if stored.awaiting_input is not None:
            return AwaitingInput(stored.awaiting_input)
        if stored.chat_id is None or stored.partner_id is None:
            return NotInChat()
        if stored.flooded or stored.message_id is None:
            return Flooded()
        if stored.relayed_message_id is not None:
            return AlreadyRelayed()
        return Relay(stored.message_id, stored.chat_id, stored.partner_id, stored.reply_to_message_id)


class RecordRelayed:
    """Remember the partner-side id of a relayed message, for replies and edits.

    Relays that finish in the same turn of the event loop share one UPDATE: under load that is
    one statement for many messages. Each caller still returns only once its id is stored.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: list[tuple[int, int]] = []
        self._written: asyncio.Future[None] | None = None

    async def __call__(self, message_id: int, relayed_message_id: int) -> None:
        self._pending.append((message_id, relayed_message_id))
        if self._written is None:
            loop = asyncio.get_running_loop()
            self._written = loop.create_future()
            loop.call_soon(self._start_write)
        await asyncio.shield(self._written)

    def _start_write(self) -> None:
        copies, written = self._pending, self._written
        self._pending, self._written = [], None
        assert written is not None
        task = asyncio.create_task(self._write(copies))
        task.add_done_callback(lambda done: _settle(written, done))

    async def _write(self, copies: list[tuple[int, int]]) -> None:
        async with self._db.statement() as statement:
            await statement.messages.record_relayed(copies)


def _settle(future: asyncio.Future[None], task: asyncio.Task[None]) -> None:
    if future.done():
        return
    error = None if task.cancelled() else task.exception()
    if task.cancelled():
        future.cancel()
    elif error is not None:
        future.set_exception(error)
    else:
        future.set_result(None)


class EditMessage:
    """Store an edit of text or caption and say which copy to edit."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(
        self, sender_id: int, source_message_id: int, *, text: str | None = None, caption: str | None = None
    ) -> EditRelay | EditNotRelayable:
        if text is not None:
            MessageContent.text_message(text)  # the same rules as a new message
        if caption is not None and len(caption) > MAX_CAPTION_LENGTH:
            raise InvalidMessage(f"caption is longer than {MAX_CAPTION_LENGTH} characters")
        async with self._db.uow() as uow:
            edited = await uow.messages.record_edit(sender_id, source_message_id, text, caption)
            await uow.commit()
        if edited is None or edited.relayed_message_id is None:
            return EditNotRelayable()
        return EditRelay(edited.partner_id, edited.relayed_message_id)


class GetChatHistory:
    """A chat's messages in order, for moderation."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, chat_id: int) -> list[Message]:
        async with self._db.uow() as uow:
            return await uow.messages.history(chat_id)


# --- ending and rating -------------------------------------------------------------------


class CloseChat:
    """End the user's chat for both sides; idempotent."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, user_id: int, reason: str = "stop") -> ChatClosed | NoChat:
        async with self._db.uow() as uow:
            ended = await uow.chats.end_active_chat_of(user_id, reason)
            await uow.commit()
        return ChatClosed(ended.chat_id, ended.partner_id) if ended else NoChat()


class RatePartner:
    """Like (+1) or dislike (-1) the partner of an ended chat, once per chat."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, user_id: int, chat_id: int, value: int) -> RateResult:
        if value not in (1, -1):
            raise ValueError("a rating is +1 or -1")
        async with self._db.uow() as uow:
            outcome = await uow.safety.rate(chat_id, user_id, value)
            await uow.commit()
        if not outcome.member:
            return NotYourChat()
        if not outcome.ended:
            return ChatStillActive()
        return Rated() if outcome.inserted else AlreadyRated()


REPORT_REASONS = ("spam", "abuse", "minor", "other")


@dataclass(frozen=True, slots=True)
class ReportPolicy:
    """K reports from distinct users within a window ban the reported user for a while."""

    threshold: int = 3
    window: timedelta = timedelta(hours=24)
    ban_for: timedelta = timedelta(hours=24)


class ReportPartner:
    def __init__(self, db: Database, policy: ReportPolicy | None = None) -> None:
        self._db = db
        self._policy = policy or ReportPolicy()

    async def __call__(
        self, user_id: int, chat_id: int, reason: str = "other"
    ) -> Reported | AlreadyReported | NotYourChat:
        if reason not in REPORT_REASONS:
            raise ValueError(f"unknown report reason {reason!r}")
        now = _now()
        async with self._db.uow() as uow:
            reported_id, report_id = await uow.safety.report(chat_id, user_id, reason)
            if reported_id is None:
                return NotYourChat()
            if report_id is None:
                return AlreadyReported()
            banned_until = None
            ended: ActiveChat | None = None
            reporters = await uow.safety.count_recent_reporters(reported_id, now - self._policy.window)
            if reporters >= self._policy.threshold:
                banned_until = now + self._policy.ban_for
                await uow.queue.lock_queue_changes()
                await uow.users.set_banned_until(reported_id, banned_until)
                await uow.queue.dequeue(reported_id)
                ended = await uow.chats.end_active_chat_of(reported_id, "banned")
            await uow.commit()
        return Reported(
            reported_id, banned_until, ChatClosed(ended.chat_id, ended.partner_id) if ended is not None else None
        )


class BlockPartner:
    """Never pair the user with this chat's partner again; ends the chat if still active."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, user_id: int, chat_id: int) -> Blocked | NotYourChat:
        async with self._db.uow() as uow:
            blocked_id, _ = await uow.safety.block(chat_id, user_id)
            if blocked_id is None:
                return NotYourChat()
            ended: ActiveChat | None = None
            active = await uow.chats.active_chat_of(user_id)
            if active is not None and active.chat_id == chat_id:
                ended = await uow.chats.end_active_chat_of(user_id, "stop")
            await uow.commit()
        return Blocked(blocked_id, ChatClosed(ended.chat_id, ended.partner_id) if ended else None)


# --- moderation --------------------------------------------------------------------------


class BanUser:
    """Ban for a while (ending the user's chat and search), or lift a ban with `duration=None`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, user_id: int, duration: timedelta | None) -> tuple[User, ChatClosed | None] | UserNotFound:
        until = _now() + duration if duration is not None else None
        async with self._db.uow() as uow:
            if until is not None:
                await uow.queue.lock_queue_changes()
            user = await uow.users.set_banned_until(user_id, until)
            if user is None:
                return UserNotFound(user_id)
            ended = None
            if until is not None:
                await uow.queue.dequeue(user_id)
                ended = await uow.chats.end_active_chat_of(user_id, "banned")
            await uow.commit()
        return user, (ChatClosed(ended.chat_id, ended.partner_id) if ended else None)


class SetBotBlocked:
    """The user blocked the bot (their chat ends, search stops) or unblocked it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, user_id: int, blocked: bool) -> ChatClosed | NoChat:
        async with self._db.uow() as uow:
            await uow.users.set_bot_blocked(user_id, blocked)
            ended = None
            if blocked:
                await uow.queue.lock_queue_changes()
                await uow.queue.dequeue(user_id)
                ended = await uow.chats.end_active_chat_of(user_id, "bot_blocked")
            await uow.commit()
        return ChatClosed(ended.chat_id, ended.partner_id) if ended else NoChat()


class PurgeExpired:
    """Delete message history older than the retention period, and old update ids."""

    def __init__(self, db: Database, retention_days: int = 7) -> None:
        self._db = db
        self._retention_days = retention_days

    async def __call__(self) -> tuple[int, int]:
        async with self._db.uow() as uow:
            deleted = await uow.safety.purge_expired(self._retention_days)
            await uow.commit(record_update=False)
        return deleted


class GetStats:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self) -> Stats:
        async with self._db.uow() as uow:
            return await uow.safety.stats()


class UseCases:
    """Every use case, built once over one database and handed to the handlers."""

    def __init__(
        self,
        db: Database,
        report_policy: ReportPolicy | None = None,
        flood_policy: FloodPolicy | None = None,
        retention_days: int = 7,
    ) -> None:
        self.register_user = RegisterUser(db)
        self.get_user = GetUser(db)
        self.update_profile = UpdateProfile(db)
        self.update_preferences = UpdatePreferences(db)
        self.set_language = SetLanguage(db)
        self.delete_user = DeleteUser(db)
        self.start_search = StartSearch(db)
        self.cancel_search = CancelSearch(db)
        self.get_current_chat = GetCurrentChat(db)
        self.send_message = SendMessage(db, flood_policy)
        self.record_relayed = RecordRelayed(db)
        self.edit_message = EditMessage(db)
        self.get_chat_history = GetChatHistory(db)
        self.close_chat = CloseChat(db)
        self.rate_partner = RatePartner(db)
        self.report_partner = ReportPartner(db, report_policy)
        self.block_partner = BlockPartner(db)
        self.ban_user = BanUser(db)
        self.set_bot_blocked = SetBotBlocked(db)
        self.get_stats = GetStats(db)
        self.purge_expired = PurgeExpired(db, retention_days)
