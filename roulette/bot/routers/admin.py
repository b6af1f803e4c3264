"""Admin commands (ADMIN_IDS). For anyone else they do not exist: no answer at all."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from roulette.bot.delivery import Courier
from roulette.bot.filters import IsAdmin
from roulette.bot.metrics import BANS
from roulette.settings import Settings
from roulette.usecases import UseCases
from roulette.usecases.account import UserNotFound

HISTORY_LIMIT = 50
MAX_ID = 2**63 - 1  # user and chat ids are BIGINTs
MAX_BAN_HOURS = 24 * 3650


def build_router(admin_ids: frozenset[int]) -> Router:
    router = Router(name="admin")
    router.message.filter(IsAdmin(admin_ids))
    router.message.register(cmd_stats, Command("stats"))
    router.message.register(cmd_ban, Command("ban"))
    router.message.register(cmd_unban, Command("unban"))
    router.message.register(cmd_history, Command("history"))
    return router


async def cmd_stats(message: Message, usecases: UseCases) -> None:
    stats = await usecases.get_stats()
    await message.answer(
        _(
            "<b>Stats</b>\n"
            "Users: {users}\n"
            "Active chats: {active_chats}\n"
            "Searching now: {searching}\n"
            "Messages in 24 h: {messages_24h}\n"
            "New users in 24 h: {new_users_24h}\n"
            "Open reports: {open_reports}"
        ).format(
            users=stats.users,
            active_chats=stats.active_chats,
            searching=stats.searching,
            messages_24h=stats.messages_24h,
            new_users_24h=stats.new_users_24h,
            open_reports=stats.open_reports,
        )
    )


def _int_args(command: CommandObject, count: int) -> list[int] | None:
    parts = (command.args or "").split()
    if not 1 <= len(parts) <= count or not all(part.isdecimal() for part in parts):
        return None
    numbers = [int(part) for part in parts]
    return numbers if all(number <= MAX_ID for number in numbers) else None


async def cmd_ban(
    message: Message, command: CommandObject, usecases: UseCases, courier: Courier, settings: Settings
) -> None:
    args = _int_args(command, 2)
    if args is None or (len(args) > 1 and args[1] > MAX_BAN_HOURS):
        await message.answer(_("Usage: /ban USER_ID [HOURS]"))
        return
    hours = args[1] if len(args) > 1 else settings.report_ban_hours
    result = await usecases.ban_user(args[0], timedelta(hours=hours))
    if isinstance(result, UserNotFound):
        await message.answer(_("No such user."))
        return
    BANS.labels("admin").inc()
    _user, ended = result
    if ended is not None:
        await courier.announce_chat_end(ended, ended_by=args[0])
    await message.answer(_("Banned for {hours} h.").format(hours=hours))


async def cmd_unban(message: Message, command: CommandObject, usecases: UseCases) -> None:
    args = _int_args(command, 1)
    if args is None:
        await message.answer(_("Usage: /unban USER_ID"))
        return
    result = await usecases.ban_user(args[0], None)
    await message.answer(_("No such user.") if isinstance(result, UserNotFound) else _("Unbanned."))


async def cmd_history(message: Message, command: CommandObject, usecases: UseCases) -> None:
    args = _int_args(command, 1)
    if args is None:
        await message.answer(_("Usage: /history CHAT_ID"))
        return
    history = await usecases.get_chat_history(args[0])
    if not history:
        await message.answer(_("No messages in that chat (or they were purged)."))
        return
    senders: dict[int, str] = {}
    lines = []
    for item in history[-HISTORY_LIMIT:]:
        side = senders.setdefault(item.sender_id, "A" if not senders else "B")
        content = item.content
        body = content.text or content.caption or ""
        lines.append(f"{item.created_at:%H:%M:%S} {side} [{content.kind.value}] {body}"[:300])
    text = "\n".join(lines)
    await message.answer(text[:4000], parse_mode=None)
