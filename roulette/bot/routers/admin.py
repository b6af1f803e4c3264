"""Admin commands (ADMIN_IDS): figures, bans, and the queue of reports.

Admins read reported chats only, opened by a report's random token, with the sides labelled
*reported* and *reporter*; a Telegram id appears only when an admin asks for it to ban. Every
look and action is written to the audit log by the use cases. For anyone else these commands are
ordinary messages (relayed in a chat, answered with the usual hint otherwise).
"""

from __future__ import annotations

import html
from datetime import datetime
from datetime import timedelta
from uuid import UUID

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from roulette.bot import keyboards
from roulette.bot.callbacks import AdminReport
from roulette.bot.callbacks import ReportAction
from roulette.bot.delivery import Courier
from roulette.bot.filters import IsAdmin
from roulette.bot.metrics import BANS
from roulette.bot.texts import report_reason_name
from roulette.domain import REVIEW_HOLD_UNTIL
from roulette.domain import InvalidAge
from roulette.domain import parse_age
from roulette.settings import Settings
from roulette.storage.moderation import EvidenceMessage
from roulette.usecases import UseCases
from roulette.usecases.account import UserNotFound
from roulette.usecases.moderation import ReportClosed
from roulette.usecases.moderation import ReportUnavailable
from roulette.usecases.moderation import ReportView

MAX_ID = 2**63 - 1  # user ids are BIGINTs
MAX_BAN_HOURS = 24 * 3650
REPORT_TEXT_LIMIT = 4000  # Telegram's limit is 4096 characters
LINE_LIMIT = 300
MAX_VERSIONS_SHOWN = 5


def build_router(admin_ids: frozenset[int]) -> Router:
    router = Router(name="admin")
    router.message.filter(IsAdmin(admin_ids))
    router.callback_query.filter(IsAdmin(admin_ids))
    router.message.register(cmd_stats, Command("stats"))
    router.message.register(cmd_ban, Command("ban"))
    router.message.register(cmd_unban, Command("unban"))
    router.message.register(cmd_setage, Command("setage"))
    router.message.register(cmd_reports, Command("reports"))
    router.callback_query.register(on_report_action, AdminReport.filter())
    return router


async def cmd_stats(message: Message, usecases: UseCases) -> None:
    assert message.from_user is not None
    stats = await usecases.get_stats(message.from_user.id)
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
    assert message.from_user is not None
    args = _int_args(command, 2)
    if args is None or (len(args) > 1 and not 1 <= args[1] <= MAX_BAN_HOURS):
        await message.answer(_("Usage: /ban USER_ID [HOURS]"))
        return
    hours = args[1] if len(args) > 1 else settings.report_ban_hours
    result = await usecases.ban_user(message.from_user.id, args[0], timedelta(hours=hours))
    if isinstance(result, UserNotFound):
        await message.answer(_("No such user."))
        return
    BANS.labels("admin").inc()
    user, ended = result
    if ended is not None:
        await courier.announce_chat_end(ended, ended_by=args[0])
    until = user.banned_until
    assert until is not None
    # told at once, with how long; an admin's ban does not pretend that users reported them
    await courier.say(
        args[0],
        lambda: _("⛔ A moderator has banned you for {hours} h (until {until} UTC). Please read /rules.").format(
            hours=hours, until=until.strftime("%Y-%m-%d %H:%M")
        ),
    )
    await message.answer(_("Banned for {hours} h.").format(hours=hours))


async def cmd_unban(message: Message, command: CommandObject, usecases: UseCases) -> None:
    assert message.from_user is not None
    args = _int_args(command, 1)
    if args is None:
        await message.answer(_("Usage: /unban USER_ID"))
        return
    result = await usecases.ban_user(message.from_user.id, args[0], None)
    await message.answer(_("No such user.") if isinstance(result, UserNotFound) else _("Unbanned."))


def _setage_args(command: CommandObject) -> tuple[int | UUID, int] | None:
    """A user id or a report's token (its reported user), and a valid age."""
    parts = (command.args or "").split()
    if len(parts) != 2:
        return None
    target: int | UUID
    try:
        age = parse_age(parts[1])
        target = int(parts[0]) if parts[0].isdecimal() else UUID(parts[0])
    except (InvalidAge, ValueError):
        return None
    return (target, age) if not isinstance(target, int) or target <= MAX_ID else None


async def cmd_setage(message: Message, command: CommandObject, usecases: UseCases, courier: Courier) -> None:
    """Correct a user's age, also across 18 (which users can't): their chat and search end then."""
    assert message.from_user is not None
    args = _setage_args(command)
    if args is None:
        await message.answer(_("Usage: /setage USER_ID|REPORT_TOKEN AGE (an age from 13 to 99)"))
        return
    result = await usecases.set_age(message.from_user.id, *args)
    if isinstance(result, UserNotFound):
        await message.answer(_("No such user."))
        return
    if isinstance(result, ReportUnavailable):
        await message.answer(_("This report no longer exists."))
        return
    user_id, age = result.user.id, args[1]
    await courier.announce_change(result)
    await courier.say(user_id, lambda: _("A moderator has set your age to {age}.").format(age=age))
    await message.answer(_("Age set to {age}.").format(age=age))


async def cmd_reports(message: Message, usecases: UseCases) -> None:
    assert message.from_user is not None
    reports = await usecases.list_reports(message.from_user.id)
    if not reports:
        await message.answer(_("No open reports."))
        return
    lines = [_("<b>Open reports</b>, oldest first:")]
    for number, report in enumerate(reports, start=1):
        lines.append(
            _("#{number} · {reason} · {at} UTC{evidence}").format(
                number=number,
                reason=report_reason_name(report.reason),
                at=report.created_at.strftime("%Y-%m-%d %H:%M"),
                evidence=_(" · a message named") if report.has_evidence else "",
            )
        )
    await message.answer("\n".join(lines), reply_markup=keyboards.report_queue([report.token for report in reports]))


async def on_report_action(
    query: CallbackQuery, callback_data: AdminReport, usecases: UseCases, courier: Courier
) -> None:
    admin_id = query.from_user.id
    token = callback_data.token
    match callback_data.action:
        case ReportAction.OPEN:
            view = await usecases.open_report(admin_id, token)
            if isinstance(view, ReportUnavailable):
                await query.answer(_("This report no longer exists."))
                return
            await query.answer()
            await courier.say(
                admin_id,
                lambda: report_text(view),
                markup=lambda: keyboards.report_actions(token, closed=view.closed is not None),
            )
        case ReportAction.REVEAL:
            revealed = await usecases.reveal_reported(admin_id, token)
            if isinstance(revealed, ReportUnavailable):
                await query.answer(_("This report no longer exists."))
                return
            await query.answer()
            await courier.say(
                admin_id,
                lambda: _("The reported user's id: <code>{user_id}</code>\n/ban {user_id} HOURS").format(
                    user_id=revealed
                ),
            )
        case ReportAction.KEEP | ReportAction.LIFT:
            closed = await usecases.close_report(admin_id, token, lift=callback_data.action is ReportAction.LIFT)
            match closed:
                case ReportClosed(lifted=True):
                    await query.answer(_("Closed; the ban is lifted."), show_alert=True)
                case ReportClosed():
                    await query.answer(_("Closed; the ban stays."), show_alert=True)
                case ReportUnavailable.ALREADY_CLOSED:
                    await query.answer(_("This report was closed already."))
                case ReportUnavailable.NOT_FOUND:
                    await query.answer(_("This report no longer exists."))


def _ban_line(until: datetime | None) -> str:
    if until is None or until < datetime.now(until.tzinfo):
        return _("not banned")
    if until >= REVIEW_HOLD_UNTIL:
        return _("held for review")
    return _("banned until {until} UTC").format(until=until.strftime("%Y-%m-%d %H:%M"))


def _message_lines(message: EvidenceMessage) -> str:
    side = _("reported") if message.by_reported else _("reporter")
    mark = "🚩 " if message.evidence else ""
    lines = []
    versions = list(enumerate(message.versions))
    if len(versions) > MAX_VERSIONS_SHOWN:  # the first and the latest ones tell the story
        versions = versions[:1] + versions[-(MAX_VERSIONS_SHOWN - 1) :]
    for number, version in versions:
        body = html.escape((version.text or version.caption or "")[:LINE_LIMIT])
        at = version.written_at.strftime("%H:%M:%S")
        if number == 0:
            lines.append(f"{mark}{at} <b>{side}</b> [{message.kind.value}] {body}")
        else:
            lines.append("    " + _("✏️ edit {number} at {at}: {body}").format(number=number, at=at, body=body))
    if message.unsent_at is not None:
        lines.append("    " + _("↩️ unsent at {at}").format(at=message.unsent_at.strftime("%H:%M:%S")))
    return "\n".join(lines)


def report_text(view: ReportView) -> str:
    """The report as an admin reads it: reason, state, and the chat without a single id."""
    header = _(
        "<b>Report</b> · {reason} · {at} UTC\nReported user: {ban}\nStatus: {status}\n🚩 marks the message reported"
    ).format(
        reason=report_reason_name(view.reason),
        at=view.created_at.strftime("%Y-%m-%d %H:%M"),
        ban=_ban_line(view.reported_banned_until),
        status=_("open") if view.closed is None else _("closed"),
    )
    blocks = [_message_lines(message) for message in view.messages]
    if not blocks:
        return header + "\n\n" + _("No messages are stored for this chat (they were purged before the report).")
    # Too long for one Telegram message: drop the messages farthest from the one reported (or
    # the oldest, when none was named), so the evidence always shows.
    first, last = 0, len(blocks)
    focus = next((index for index, message in enumerate(view.messages) if message.evidence), len(blocks) - 1)
    while (
        first < last - 1 and len(header) + sum(len(block) + 1 for block in blocks[first:last]) + 4 > REPORT_TEXT_LIMIT
    ):
        if focus - first >= last - 1 - focus:
            first += 1
        else:
            last -= 1
    shown = blocks[first:last]
    return header + "\n\n" + ("…\n" if first else "") + "\n".join(shown) + ("\n…" if last < len(blocks) else "")
