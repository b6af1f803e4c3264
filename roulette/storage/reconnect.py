"""Invitations to talk again after a chat, and where the chat's two sides stand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeAlias
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from roulette.storage.queries import sql

if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]

_RECONNECT_STANDING = sql("reconnect_standing")
_INVITE_TO_RECONNECT = sql("invite_to_reconnect")
_ACCEPT_INVITATION = sql("accept_invitation")
_DECLINE_INVITATION = sql("decline_invitation")
_ANNOUNCE_RECONNECT = sql("announce_reconnect")
_PURGE_EXPIRED_INVITATIONS = sql("purge_expired_invitations")


@dataclass(frozen=True, slots=True)
class Side:
    """One side of an ended chat, as it stands now."""

    complete: bool  # has a profile
    adult: bool
    banned: bool  # banned, or held for review
    bot_blocked: bool
    in_chat: bool
    searching: bool
    moved_on: bool  # started a chat after this one


@dataclass(frozen=True, slots=True)
class Standing:
    """Chat `chat_id` and its two sides, seen by `me`; `partner` None: they deleted their data."""

    chat_id: int
    ended_at: datetime | None  # None: the chat goes on
    partner_id: int | None
    me: Side
    partner: Side | None
    blocked: bool  # either blocked the other
    asked_before: bool  # `me` asked to talk again after this chat already
    partner_token: UUID | None  # the partner's pending invitation to `me`, if any


@dataclass(frozen=True, slots=True)
class Invitation:
    token: UUID
    chat_id: int
    asker_id: int
    invitee_id: int


def _side(record: asyncpg.Record, prefix: str) -> Side:
    return Side(
        complete=bool(record[f"{prefix}_complete"]),
        adult=bool(record[f"{prefix}_adult"]),
        banned=bool(record[f"{prefix}_banned"]),
        bot_blocked=bool(record[f"{prefix}_bot_blocked"]),
        in_chat=bool(record[f"{prefix}_in_chat"]),
        searching=bool(record[f"{prefix}_searching"]),
        moved_on=bool(record[f"{prefix}_moved_on"]),
    )


def _invitation(record: asyncpg.Record | None) -> Invitation | None:
    if record is None:
        return None
    return Invitation(record["token"], record["chat_id"], record["asker_id"], record["invitee_id"])


class ReconnectRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def standing(self, chat_id: int, user_id: int) -> Standing | None:
        """Where chat `chat_id` and its sides stand; None if it is gone or the user was not in it."""
        record = await self._connection.fetchrow(_RECONNECT_STANDING, chat_id, user_id)
        if record is None:
            return None
        return Standing(
            chat_id=chat_id,
            ended_at=record["ended_at"],
            partner_id=record["partner_id"],
            me=_side(record, "my"),
            partner=_side(record, "partner") if record["partner_present"] else None,
            blocked=record["blocked"],
            asked_before=record["asked_before"],
            partner_token=record["partner_token"],
        )

    async def invite(self, chat_id: int, asker_id: int, invitee_id: int, expires_at: datetime) -> UUID | None:
        """Write the invitation and its notice; None if the asker had asked after this chat before."""
        token: UUID | None = await self._connection.fetchval(
            _INVITE_TO_RECONNECT, chat_id, asker_id, invitee_id, expires_at
        )
        return token

    async def accept(self, token: UUID, invitee_id: int) -> Invitation | None:
        """Take up a pending invitation (locked until the transaction ends); None if it is not one."""
        return _invitation(await self._connection.fetchrow(_ACCEPT_INVITATION, token, invitee_id))

    async def decline(self, token: UUID, invitee_id: int) -> Invitation | None:
        """Decline a pending invitation, writing the asker's "not now"; None if it is not one."""
        return _invitation(await self._connection.fetchrow(_DECLINE_INVITATION, token, invitee_id))

    async def announce(self, chat_id: int) -> None:
        """Write both sides' notice that chat `chat_id` opened again."""
        await self._connection.execute(_ANNOUNCE_RECONNECT, chat_id)

    async def purge_expired(self, batch: int) -> int:
        """Delete up to `batch` expired invitations; how many went."""
        return len(await self._connection.fetch(_PURGE_EXPIRED_INVITATIONS, batch))
