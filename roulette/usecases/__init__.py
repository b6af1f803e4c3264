"""Use cases by feature, mirroring roulette/bot/routers/: each module holds its use cases and results.

`UseCases` builds every one of them once over one database, for the handlers.
"""

from __future__ import annotations

from roulette.storage.uow import Database
from roulette.usecases.account import DeleteUser
from roulette.usecases.account import GetUser
from roulette.usecases.account import RegisterUser
from roulette.usecases.account import SetPartnerMedia
from roulette.usecases.after_chat import BlockPartner
from roulette.usecases.after_chat import FindReportable
from roulette.usecases.after_chat import RatePartner
from roulette.usecases.after_chat import ReportPartner
from roulette.usecases.after_chat import ReportPolicy
from roulette.usecases.chat import CloseChat
from roulette.usecases.chat import EditMessage
from roulette.usecases.chat import FloodPolicy
from roulette.usecases.chat import RecordRelayed
from roulette.usecases.chat import SendMessage
from roulette.usecases.moderation import BanUser
from roulette.usecases.moderation import CloseReport
from roulette.usecases.moderation import GetChatHistory
from roulette.usecases.moderation import GetStats
from roulette.usecases.moderation import ListReports
from roulette.usecases.moderation import OpenReport
from roulette.usecases.moderation import PurgeExpired
from roulette.usecases.moderation import RetentionPolicy
from roulette.usecases.moderation import RevealReported
from roulette.usecases.moderation import SetBotBlocked
from roulette.usecases.outbox import ClaimAlbum
from roulette.usecases.outbox import ClaimNotices
from roulette.usecases.outbox import ClaimOverdue
from roulette.usecases.outbox import FinishAlbumFlush
from roulette.usecases.outbox import ForgetDelivered
from roulette.usecases.profile import SetAge
from roulette.usecases.profile import SetLanguage
from roulette.usecases.profile import UpdatePreferences
from roulette.usecases.profile import UpdateProfile
from roulette.usecases.reactions import RelayReaction
from roulette.usecases.reconnect import AcceptReconnect
from roulette.usecases.reconnect import AskToReconnect
from roulette.usecases.reconnect import DeclineReconnect
from roulette.usecases.search import CancelSearch
from roulette.usecases.search import ClaimWaitHints
from roulette.usecases.search import CountSearching
from roulette.usecases.search import GetCurrentChat
from roulette.usecases.search import StartSearch
from roulette.usecases.unsend import UnsendMessage


class UseCases:
    """Every use case, built once over one database and handed to the handlers."""

    def __init__(
        self,
        db: Database,
        report_policy: ReportPolicy | None = None,
        flood_policy: FloodPolicy | None = None,
        retention: RetentionPolicy | None = None,
        outbox_lease_seconds: float = 30.0,
        wait_hint_seconds: float = 60.0,
    ) -> None:
        flood_policy = flood_policy or FloodPolicy()
        self.register_user = RegisterUser(db)
        self.get_user = GetUser(db)
        self.update_profile = UpdateProfile(db)
        self.update_preferences = UpdatePreferences(db)
        self.set_language = SetLanguage(db)
        self.set_partner_media = SetPartnerMedia(db)
        self.delete_user = DeleteUser(db)
        self.start_search = StartSearch(db)
        self.cancel_search = CancelSearch(db)
        self.count_searching = CountSearching(db)
        self.claim_wait_hints = ClaimWaitHints(db, wait_hint_seconds)
        self.get_current_chat = GetCurrentChat(db)
        self.send_message = SendMessage(db, flood_policy)
        self.record_relayed = RecordRelayed(db)
        self.edit_message = EditMessage(db, flood_policy)
        self.relay_reaction = RelayReaction(db, flood_policy)
        self.unsend_message = UnsendMessage(db)
        self.close_chat = CloseChat(db)
        self.rate_partner = RatePartner(db)
        self.report_partner = ReportPartner(db, report_policy or ReportPolicy())
        self.block_partner = BlockPartner(db)
        self.find_reportable = FindReportable(db)
        self.ask_to_reconnect = AskToReconnect(db)
        self.accept_reconnect = AcceptReconnect(db)
        self.decline_reconnect = DeclineReconnect(db)
        self.list_reports = ListReports(db)
        self.open_report = OpenReport(db)
        self.reveal_reported = RevealReported(db)
        self.close_report = CloseReport(db)
        self.ban_user = BanUser(db)
        self.set_age = SetAge(db)
        self.set_bot_blocked = SetBotBlocked(db)
        self.get_chat_history = GetChatHistory(db)
        self.get_stats = GetStats(db)
        self.purge_expired = PurgeExpired(db, retention or RetentionPolicy())
        self.claim_notices = ClaimNotices(db, outbox_lease_seconds)
        self.claim_album = ClaimAlbum(db, outbox_lease_seconds)
        self.claim_overdue = ClaimOverdue(db, outbox_lease_seconds)
        self.forget_delivered = ForgetDelivered(db)
        self.finish_album_flush = FinishAlbumFlush(db)
