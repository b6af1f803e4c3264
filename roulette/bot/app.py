"""Wiring: database, use cases, bot and dispatcher; polling and webhook runners."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
from aiogram import Bot
from aiogram import Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand
from aiogram.types import BotCommandScopeAllPrivateChats
from aiogram.types import User
from aiogram.utils.i18n import I18n
from aiohttp import web

from roulette.bot.albums import Albums
from roulette.bot.delivery import Courier
from roulette.bot.errors import on_error
from roulette.bot.languages import Languages
from roulette.bot.metrics import UpdateMetrics
from roulette.bot.metrics import measure_bot_api
from roulette.bot.middlewares import ExactlyOnce
from roulette.bot.middlewares import PerUserOrder
from roulette.bot.middlewares import UserLanguage
from roulette.bot.middlewares import use_state_on_demand
from roulette.bot.polling import Poller
from roulette.bot.probes import add_probe_routes
from roulette.bot.probes import serve_probes
from roulette.bot.refusals import RefuseNulCharacters
from roulette.bot.retries import retry_requests
from roulette.bot.routers import route
from roulette.bot.routers.relay import FloodNotices
from roulette.bot.session import JsonSession
from roulette.bot.startup import introduce
from roulette.bot.typed_answers import TypedAnswers
from roulette.bot.wait_hints import hint_waiting_periodically
from roulette.bot.webhook import UpdateRequestHandler
from roulette.domain import Language
from roulette.fsm_storage import PostgresStorage
from roulette.i18n import LANGUAGES
from roulette.i18n import build_i18n
from roulette.settings import Settings
from roulette.storage.embedded import start_embedded_postgres
from roulette.storage.migrations import apply_migrations
from roulette.storage.outbox import AlbumFlush
from roulette.storage.pool import create_pool
from roulette.storage.uow import Database
from roulette.usecases import UseCases
from roulette.usecases.after_chat import ReportPolicy
from roulette.usecases.chat import FloodPolicy
from roulette.usecases.moderation import RetentionPolicy

log = logging.getLogger(__name__)

# Allocations between two young collections of the garbage collector (Python's default: 700).
YOUNG_COLLECTION_THRESHOLD = 20_000
# How often the retention purge runs (and once at start): what is due waits at most this long.
PURGE_EVERY_SECONDS = 600.0
COMMANDS = (
    "search",
    "next",
    "stop",
    "unsend",
    "profile",
    "settings",
    "language",
    "help",
    "rules",
    "safety",
    "deleteme",
)


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL, or the embedded server's when it is unset."""
    return settings.database_url or start_embedded_postgres(settings.data_dir)


@asynccontextmanager
async def open_database(settings: Settings, *, migrate: bool = True) -> AsyncIterator[asyncpg.Pool[Any]]:
    url = resolve_database_url(settings)
    if migrate:
        await asyncio.to_thread(apply_migrations, url)
    pool = await create_pool(url, min_size=settings.db_pool_min_size, max_size=settings.db_pool_max_size)
    try:
        yield pool
    finally:
        await pool.close()


def build_bot(settings: Settings, token: str | None = None) -> Bot:
    secret = token or (settings.bot_token.get_secret_value() if settings.bot_token else None)
    if secret is None:
        raise ValueError("BOT_TOKEN is not set")
    session = (
        JsonSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
        if settings.telegram_api_url
        else JsonSession()
    )
    return Bot(secret, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


@dataclass
class App:
    bot: Bot
    dispatcher: Dispatcher
    usecases: UseCases
    courier: Courier
    albums: Albums
    order: PerUserOrder
    exactly_once: ExactlyOnce
    settings: Settings


def build_app(settings: Settings, pool: asyncpg.Pool[Any], bot: Bot, i18n: I18n | None = None) -> App:
    usecases = UseCases(
        Database(pool),
        ReportPolicy(
            threshold=settings.report_ban_threshold,
            window=timedelta(hours=settings.report_window_hours),
            ban_for=timedelta(hours=settings.report_ban_hours),
        ),
        FloodPolicy(settings.flood_max_messages, settings.flood_window_seconds),
        RetentionPolicy(settings.message_retention_hours, settings.chat_retention_days),
        settings.outbox_lease_seconds,
        settings.wait_hint_seconds,
    )
    retry_requests(bot)
    measure_bot_api(bot)  # after the retries: closer to the network, it sees each attempt
    i18n = i18n or build_i18n(settings.default_language)
    languages = Languages(usecases.get_user, Language(settings.default_language))
    courier = Courier(bot, usecases, languages, i18n)
    albums = Albums()
    order = PerUserOrder()
    exactly_once = ExactlyOnce()
    typed_answers = TypedAnswers()
    dispatcher = Dispatcher(
        storage=PostgresStorage(pool),
        events_isolation=order,
        usecases=usecases,
        courier=courier,
        albums=albums,
        flood_notices=FloodNotices(settings.flood_window_seconds),
        languages=languages,
        settings=settings,
        typed_answers=typed_answers,
    )
    use_state_on_demand(dispatcher)
    dispatcher.update.outer_middleware(exactly_once)
    dispatcher.update.outer_middleware(UpdateMetrics())
    UserLanguage(i18n, languages).setup(dispatcher)
    refuse_nul = RefuseNulCharacters()
    dispatcher.message.outer_middleware(refuse_nul)
    dispatcher.edited_message.outer_middleware(refuse_nul)
    dispatcher.errors.register(on_error)
    route(dispatcher, settings.admin_ids, typed_answers)
    return App(bot, dispatcher, usecases, courier, albums, order, exactly_once, settings)


async def set_commands(bot: Bot, i18n: I18n) -> None:
    """The command menu, in each supported language (English is also the default)."""
    from roulette.bot.texts import command_descriptions

    for language in LANGUAGES:
        with i18n.context(), i18n.use_locale(language):
            descriptions = command_descriptions()
        commands = [BotCommand(command=name, description=descriptions[name]) for name in COMMANDS]
        await bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats(), language_code=language)
        if language == "en":
            await bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats())


async def _shutdown(app: App) -> None:
    await app.albums.settle_all(app.courier, app.usecases, app.settings)


def prepare_heap() -> None:
    """Ready the garbage collector for updates; call it once the app is built, before the first.

    - Everything built at start (aiogram's ~600 models, pydantic's validators: ~200k objects)
      is moved out of the collector's sight. It lives as long as the process, yet every full
      collection walked it all: ~130 ms of stalled updates each time.
    - Young collections run after YOUNG_COLLECTION_THRESHOLD allocations instead of Python's
      700. An update allocates hundreds of objects and is in flight for milliseconds under
      load, so at 700 collections ran every few updates and kept promoting live ones to the
      older generations, whose collections then cost more: together ~36 µs of each relayed
      message, 7 % of the bot's CPU (docs/performance.md). Cyclic garbage is still collected,
      only later; the memory it holds meanwhile is bounded by the threshold.
    """
    gc.collect()
    gc.freeze()
    _young, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (what a platform sends before SIGKILL)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    return stop


async def purge_periodically(app: App, every_seconds: float = PURGE_EVERY_SECONDS) -> None:
    """Enforce MESSAGE_RETENTION_HOURS and CHAT_RETENTION_DAYS at start and then every so often:
    a process restarted more often than the period still purges. Several processes doing it at
    once share the work."""
    if app.settings.message_retention_days is not None:
        log.warning(
            "MESSAGE_RETENTION_DAYS is deprecated: messages are kept %d hours after a chat ends;"
            " set MESSAGE_RETENTION_HOURS instead",
            app.settings.message_retention_hours,
        )
    while True:
        try:
            purged = await app.usecases.purge_expired()
            if purged.messages or purged.chats or purged.updates or purged.invitations:
                log.info(
                    "purged %d expired message(s), %d chat(s), %d invitation(s) to talk again and %d old"
                    " update id(s) in %d batch(es)",
                    purged.messages,
                    purged.chats,
                    purged.invitations,
                    purged.updates,
                    purged.batches,
                )
        except Exception:
            log.exception("retention purge failed; retrying later")
        await asyncio.sleep(every_seconds)


async def deliver_overdue(app: App) -> None:
    """Send what processes that died left in the outbox: notices, and albums (to their own chat)."""
    for row in await app.usecases.claim_overdue():
        if isinstance(row, AlbumFlush):
            await app.albums.send(row, {}, app.courier, app.usecases, app.settings)
        else:
            await app.courier.deliver_claimed([row])
            await app.courier.deliver_notices(row.recipient_id)  # and the user's later ones, in order


async def deliver_overdue_periodically(app: App) -> None:
    """Every process sweeps, a few times per lease: claims keep two from sending one row at once."""
    while True:
        await asyncio.sleep(app.settings.outbox_lease_seconds / 3)
        try:
            await deliver_overdue(app)
        except Exception:
            log.exception("outbox delivery failed; retrying later")


@asynccontextmanager
async def introduced_bot(settings: Settings) -> AsyncIterator[tuple[Bot, User]]:
    """The bot, once Telegram has taken its token (before the database: a wrong token is told
    at once, and the session is closed whatever happens)."""
    bot = build_bot(settings)
    try:
        yield bot, await introduce(bot, settings)
    finally:
        await bot.session.close()


async def run_polling(settings: Settings, stop: asyncio.Event | None = None) -> None:
    async with introduced_bot(settings) as (bot, me), open_database(settings) as pool:
        i18n = build_i18n(settings.default_language)
        app = build_app(settings, pool, bot, i18n)
        stop = stop or stop_on_signals()
        probes = await serve_probes(pool, settings.host, settings.metrics_port) if settings.metrics_port else None
        purger = asyncio.create_task(purge_periodically(app))
        sweeper = asyncio.create_task(deliver_overdue_periodically(app))
        hinter = asyncio.create_task(hint_waiting_periodically(app.usecases, app.courier))
        try:
            await bot.delete_webhook(drop_pending_updates=False)
            await set_commands(bot, i18n)
            await app.dispatcher.emit_startup(bot=bot)
            prepare_heap()
            log.info("polling as @%s", me.username)
            poller = Poller(
                bot,
                app.dispatcher,
                allowed_updates=app.dispatcher.resolve_used_update_types(),
                shutdown_timeout=settings.shutdown_timeout_seconds,
            )
            await poller.run(stop)
            log.info("stopping: %d update(s) handled", poller.handled)
            await _shutdown(app)
            await app.dispatcher.emit_shutdown(bot=bot)
        finally:
            purger.cancel()
            sweeper.cancel()
            hinter.cancel()
            if probes is not None:
                await probes.cleanup()


def build_webhook_application(app: App, i18n: I18n, pool: asyncpg.Pool[Any]) -> web.Application:
    settings = app.settings
    assert settings.webhook_secret is not None
    web_app = web.Application()
    add_probe_routes(web_app, pool)
    # Answer Telegram only after the update was handled: a crash mid-update then means
    # Telegram delivers it again instead of it being lost.
    UpdateRequestHandler(
        dispatcher=app.dispatcher,
        bot=app.bot,
        secret_token=settings.webhook_secret.get_secret_value(),
        handle_in_background=False,
    ).register(web_app, path=settings.webhook_path)

    async def on_startup(_web_app: web.Application) -> None:
        assert settings.webhook_url is not None and settings.webhook_secret is not None
        await app.bot.set_webhook(
            url=settings.webhook_url.rstrip("/") + settings.webhook_path,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=app.dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        await set_commands(app.bot, i18n)
        await app.dispatcher.emit_startup(bot=app.bot)
        prepare_heap()

    async def on_shutdown(_web_app: web.Application) -> None:
        await _shutdown(app)
        await app.dispatcher.emit_shutdown(bot=app.bot)

    web_app.on_startup.append(on_startup)
    web_app.on_shutdown.append(on_shutdown)
    return web_app


async def run_webhook(settings: Settings) -> None:
    async with introduced_bot(settings) as (bot, _me), open_database(settings) as pool:
        i18n = build_i18n(settings.default_language)
        app = build_app(settings, pool, bot, i18n)
        web_app = build_webhook_application(app, i18n, pool)
        runner = web.AppRunner(web_app, shutdown_timeout=settings.shutdown_timeout_seconds)
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        log.info("webhook server on %s:%s%s", settings.host, settings.port, settings.webhook_path)
        stop = stop_on_signals()
        purger = asyncio.create_task(purge_periodically(app))
        sweeper = asyncio.create_task(deliver_overdue_periodically(app))
        hinter = asyncio.create_task(hint_waiting_periodically(app.usecases, app.courier))
        try:
            await stop.wait()
            log.info("stopping: finishing the updates in flight")
        finally:
            purger.cancel()
            sweeper.cancel()
            hinter.cancel()
            await runner.cleanup()


async def run(settings: Settings) -> None:
    if settings.webhook_url:
        await run_webhook(settings)
    else:
        await run_polling(settings)
