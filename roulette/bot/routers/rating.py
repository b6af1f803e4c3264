"""The buttons under an ended chat: 👍 / 👎, report, block; and /report, as a reply to a message.

Each button carries only the chat id (and, for a reported message, that message's id in the
reporter's own chat); the use case checks that the presser was in that chat, so a forged or
someone else's button changes nothing.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from roulette.bot import keyboards
from roulette.bot.callbacks import BlockPartner
from roulette.bot.callbacks import Rate
from roulette.bot.callbacks import Report
from roulette.bot.callbacks import Vote
from roulette.bot.choices import show_choice
from roulette.bot.delivery import Courier
from roulette.bot.metrics import BANS
from roulette.bot.metrics import REPORTS
from roulette.bot.texts import no_longer_active
from roulette.bot.texts import report_reason_name
from roulette.domain import ReportReason
from roulette.settings import Settings
from roulette.usecases import UseCases
from roulette.usecases.after_chat import Blocked
from roulette.usecases.after_chat import Refused
from roulette.usecases.after_chat import Reported

log = logging.getLogger(__name__)


def build_router() -> Router:
    router = Router(name="rating")
    router.callback_query.register(on_rating, Rate.filter())
    router.message.register(cmd_report, Command("report"))
    router.callback_query.register(on_report, Report.filter())
    router.callback_query.register(on_block, BlockPartner.filter())
    return router


def partner_gone() -> str:
    return _("Your partner has deleted their data: nothing about them is recorded.")


async def on_rating(query: CallbackQuery, callback_data: Rate, usecases: UseCases) -> None:
    result = await usecases.rate_partner(query.from_user.id, callback_data.chat_id, int(callback_data.value))
    match result:
        case None:
            await query.answer(_("Thanks for the feedback!"))
            vote = "👍" if callback_data.value is Vote.LIKE else "👎"
            await show_choice(query, vote, keep=keyboards.after_chat_rated(callback_data.chat_id))
        case Refused.ALREADY_RATED:
            await query.answer(_("You have already rated this chat."))
        case Refused.CHAT_STILL_ACTIVE:
            await query.answer(_("The chat is still going on."))
        case Refused.PARTNER_GONE:
            await query.answer(partner_gone(), show_alert=True)
        case Refused.NOT_YOUR_CHAT:
            await query.answer(no_longer_active())


async def cmd_report(message: Message, usecases: UseCases) -> None:
    """A reply to a partner's message reports it; without a reply, the current chat."""
    assert message.from_user is not None
    replied = message.reply_to_message
    copy_id = replied.message_id if replied is not None else None
    chat_id = await usecases.find_reportable(message.from_user.id, copy_id)
    if chat_id is None:
        await message.answer(
            _("To report a message, reply to it with /report. After a chat, use the 🚩 Report button.")
            if copy_id is not None
            else _("You are not in a chat. To report a message, reply to it with /report.")
        )
        return
    await message.answer(
        _("Why are you reporting this message?") if copy_id is not None else _("Why are you reporting this chat?"),
        reply_markup=keyboards.report_reasons(chat_id, copy_id=copy_id or 0),
    )


async def on_report(
    query: CallbackQuery, callback_data: Report, usecases: UseCases, courier: Courier, settings: Settings
) -> None:
    reason = callback_data.reason
    if reason is None:  # the 🚩 button, or the "also block" switch: show the reasons
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(
                reply_markup=keyboards.report_reasons(
                    callback_data.chat_id, block=callback_data.block, copy_id=callback_data.copy_id
                )
            )
        return
    result = await usecases.report_partner(
        query.from_user.id,
        callback_data.chat_id,
        reason.value,
        evidence_copy_id=callback_data.copy_id or None,
        block=callback_data.block,
    )
    match result:
        case Reported():
            REPORTS.labels(reason.value).inc()
            if result.banned_until:
                BANS.labels("reports").inc()
            # Everyone else first: nothing that goes wrong with the reporter's own message (too old
            # to answer or edit, deleted) may keep the admins uninformed or a chat end untold.
            await _tell_admins(result, reason, courier, settings)
            await _tell_the_banned(result, courier, settings)
            for ended, ended_by in result.ended:
                await courier.announce_chat_end(ended, ended_by=ended_by)
            try:
                await query.answer(
                    _("Thank you. The report was sent to the moderators, and this person is blocked.")
                    if result.blocked
                    else _("Thank you. The report was sent to the moderators."),
                    show_alert=True,
                )
                await show_choice(
                    query,
                    "🚩 " + report_reason_name(reason),
                    keep=None if result.blocked else keyboards.block_only(callback_data.chat_id),
                )
            except TelegramBadRequest as error:
                log.info("the reporter's message was left as it was: %s", error.message)
        case Refused.ALREADY_REPORTED:
            await query.answer(_("You have already reported this chat."))
        case Refused.PARTNER_GONE:
            await query.answer(partner_gone(), show_alert=True)
        case Refused.NOT_YOUR_CHAT:
            await query.answer(no_longer_active())


async def _tell_admins(result: Reported, reason: ReportReason, courier: Courier, settings: Settings) -> None:
    for admin_id in settings.admin_ids:
        await courier.say(
            admin_id,
            lambda: _("🚩 New report: {reason}{outcome}. /reports — the queue").format(
                reason=report_reason_name(reason),
                outcome=(
                    _(", the reported user is held for review")
                    if result.held
                    else _(", the reported user is now banned")
                    if result.banned_until
                    else ""
                ),
            ),
            markup=lambda: keyboards.open_report(result.token),
        )


async def _tell_the_banned(result: Reported, courier: Courier, settings: Settings) -> None:
    """A ban for reports is told at once, with how long; a hold for review is not told at all."""
    if result.banned_until is None or result.held:
        return
    hours = settings.report_ban_hours
    await courier.say(
        result.reported_id,
        lambda: _(
            "⛔ Several users reported you, so you can't search for {hours} h (until {until} UTC). Please read /rules."
        ).format(hours=hours, until=result.banned_until.strftime("%Y-%m-%d %H:%M") if result.banned_until else ""),
    )


async def on_block(query: CallbackQuery, callback_data: BlockPartner, usecases: UseCases, courier: Courier) -> None:
    result = await usecases.block_partner(query.from_user.id, callback_data.chat_id)
    if result is Refused.PARTNER_GONE:
        await query.answer(partner_gone(), show_alert=True)
        return
    if not isinstance(result, Blocked):
        await query.answer(no_longer_active())
        return
    await query.answer(_("Blocked. You will never be paired with this person again."), show_alert=True)
    await show_choice(query, _("⛔ Blocked"))
    if result.ended_chat is not None:
        await courier.announce_chat_end(result.ended_chat, ended_by=query.from_user.id)
