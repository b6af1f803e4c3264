"""The sandbox page in headless Chromium, used like a person would use it.

Two simulated users are created on the page, go through onboarding by clicking the bot's
buttons and typing, get paired, exchange a message and a sample photo, react to a message (the
reaction shows on the partner's side), end the chat with /stop and rate each other with 👍.
Everything is asserted on what the page shows.

The page as a Telegram look-alike (the bot's command menu, reply keyboards, reactions,
formatting, fonts, a sandbox that restarts) is driven by the test itself acting as the bot
through the Bot API, so each behaviour is checked on its own.

Needs Debian's Chromium and the ``playwright`` package (no browser download):

    apt-get install -y chromium
    pip install playwright==1.65.2

CHROMIUM_PATH overrides /usr/bin/chromium. With SANDBOX_SCREENSHOT=<file.png> the test also
saves a screenshot of the page in the middle of the conversation (docs/sandbox.png is one).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand
from aiogram.types import BotCommandScopeAllPrivateChats
from aiogram.types import KeyboardButton
from aiogram.types import ReactionTypeEmoji
from aiogram.types import ReplyKeyboardMarkup
from aiogram.types import ReplyKeyboardRemove
from aiogram.types import Update
from aiohttp import web

from roulette.bot.app import run_polling
from roulette.sandbox import SANDBOX_TOKEN
from roulette.sandbox import sandbox_emulator
from roulette.settings import load_settings
from tgemulator import BotAPIEmulator
from tgemulator.page import serve_page

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_INSTALLED = CHROMIUM.exists()
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000
TITLE = "Anochat sandbox — every column is a simulated Telegram user talking to the real bot"


@pytest.fixture
async def sandbox(database_url: str) -> AsyncIterator[str]:
    """The sandbox server (page + emulator) and the real bot polling it, in this event loop."""
    emulator = sandbox_emulator()
    runner: web.AppRunner = await serve_page(emulator, port=0)
    settings = load_settings(
        bot_token=SANDBOX_TOKEN,
        database_url=database_url,
        telegram_api_url=emulator.base_url,
        webhook_url=None,
        admin_ids="",
        shutdown_timeout_seconds=2.0,
    )
    stop = asyncio.Event()
    bot = asyncio.create_task(run_polling(settings, stop=stop))
    try:
        # setMyCommands is the last call before the bot takes updates
        async with asyncio.timeout(30):
            while not emulator.calls["setMyCommands"]:
                if bot.done():
                    bot.result()
                    raise RuntimeError("the bot stopped before it was ready")
                await asyncio.sleep(0.05)
        yield emulator.base_url
    finally:
        stop.set()
        try:
            async with asyncio.timeout(15):
                await bot
        finally:
            await emulator.stop()
            await runner.cleanup()


@pytest.fixture
async def page() -> AsyncIterator[Any]:
    """A fresh page in headless Debian Chromium (Playwright gives it a new temporary profile)."""
    if not CHROMIUM_INSTALLED:
        pytest.skip(f"{CHROMIUM} not found; install it with `apt-get install -y chromium` (or set CHROMIUM_PATH)")
    async_api = pytest.importorskip(
        "playwright.async_api", reason="the playwright package is missing; `pip install playwright==1.65.2`"
    )
    async_api.expect.set_options(timeout=TIMEOUT_MS)
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            context = await browser.new_context(viewport=VIEWPORT, locale="en-US")
            context.set_default_timeout(TIMEOUT_MS)
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page
            assert not errors, f"JavaScript errors on the page: {errors}"
        finally:
            await browser.close()


def expect(locator: Any) -> Any:
    from playwright.async_api import expect as playwright_expect

    return playwright_expect(locator)


async def create_user(column: Any, name: str, language: str) -> None:
    await column.locator(".setup-name").fill(name)
    await column.locator(".setup-lang").select_option(language)
    await column.get_by_role("button", name="Create user").click()
    await expect(column.locator(".col-head .name")).to_have_text(name)


def bot_message(column: Any, text: str | re.Pattern[str]) -> Any:
    return column.locator('.msg[data-from="bot"]').filter(has_text=text).last


async def onboard(column: Any, gender_button: str, age: str, interest: str) -> None:
    await column.get_by_role("button", name="START", exact=True).click()
    welcome = bot_message(column, "What is your gender?")
    await welcome.get_by_role("button", name=gender_button).click()
    await expect(bot_message(column, "How old are you?")).to_be_visible()
    await column.locator("textarea.input").fill(age)
    await column.locator("textarea.input").press("Enter")
    # the bubble's text is the age followed by the time, e.g. "2706:27✓✓"
    own = column.locator('.msg[data-from="user"]').last.locator(".text")
    await expect(own).to_have_text(re.compile(rf"^{age}\d\d:\d\d"))
    picker = bot_message(column, "Pick your interests")
    await picker.get_by_role("button", name=interest, exact=True).click()
    # the bot edits the keyboard in place to tick the interest
    await expect(picker.get_by_role("button", name=f"✅ {interest}")).to_be_visible()
    await picker.get_by_role("button", name="Done ✔️").click()
    await expect(bot_message(column, "All set!")).to_be_visible()
    await expect(column.locator(".toast")).to_contain_text("Profile saved")


async def test_two_people_meet_talk_swap_a_photo_and_rate_each_other(sandbox: str, page: Any) -> None:
    await page.goto(sandbox + "/")
    await expect(page.locator("h1")).to_have_text(TITLE)
    columns = page.locator("section.column")
    await expect(columns).to_have_count(2)
    alice, bob = columns.nth(0), columns.nth(1)

    await create_user(alice, "Alice", "en")
    await create_user(bob, "Bob", "en")
    await expect(alice.locator(".sub")).to_contain_text("EN")

    await onboard(alice, "👩 Female", "27", "🎵 Music")
    await onboard(bob, "👨 Male", "29", "🎵 Music")

    await alice.get_by_role("button", name="/search", exact=True).click()
    await expect(bot_message(alice, "Looking for a partner")).to_be_visible()
    await bob.get_by_role("button", name="/search", exact=True).click()
    for column in (alice, bob):
        found = bot_message(column, "Partner found")
        await expect(found).to_be_visible()
        await expect(found).to_contain_text("Shared interests: 🎵 Music")

    # a text message, relayed by the bot into the partner's chat
    await alice.locator("textarea.input").fill("Hi! Anyone into synth-pop? 🎹")
    await alice.locator("textarea.input").press("Enter")
    await expect(alice.locator('.msg[data-from="user"]').last).to_contain_text("Anyone into synth-pop?")
    relayed = bot_message(bob, "Anyone into synth-pop?")
    await expect(relayed).to_be_visible()
    await expect(alice.locator("textarea.input")).to_have_value("")

    await bob.locator("textarea.input").fill("Always! Look what I saw yesterday")
    await bob.get_by_role("button", name="Send", exact=True).click()
    await expect(bot_message(alice, "Look what I saw yesterday")).to_be_visible()

    # a sample photo with a caption: the copy in Alice's chat shows the same picture
    await bob.get_by_role("button", name="Send a sample photo").click()
    await bob.locator(".picker-caption").fill("Sunset from my window 🌅")
    await bob.locator('.sample[data-sample="sunset"]').click()
    await expect(bob.locator('.msg[data-from="user"][data-kind="photo"] img.photo')).to_be_visible()
    photo = alice.locator('.msg[data-from="bot"][data-kind="photo"]').last
    await expect(photo).to_contain_text("Sunset from my window")
    image = photo.locator("img.photo")
    await expect(image).to_have_attribute("src", "/static/samples/sunset.png")
    await expect(image).to_be_visible()
    await expect(image).to_have_js_property("complete", True)
    assert await image.evaluate("img => img.naturalWidth") > 0, "the sample picture did not load"

    await alice.locator("textarea.input").fill("Wow, gorgeous colours! https://example.com")
    await alice.locator("textarea.input").press("Enter")
    await expect(bot_message(bob, "gorgeous colours")).to_be_visible()
    link = bot_message(bob, "gorgeous colours").locator('a[href="https://example.com/"]')
    await expect(link).to_have_text("https://example.com")

    # Bob reacts to Alice's first message on his page: her own message shows it, set by the bot
    await relayed.locator(".bubble").click()
    await bob.get_by_role("toolbar", name="Reactions").get_by_role("button", name="React with 🔥").click()
    await expect(bob.locator(".reaction.mine")).to_have_text("🔥")
    original = alice.locator('.msg[data-from="user"]').filter(has_text="Anyone into synth-pop?")
    await expect(original.locator(".reaction")).to_have_text("🔥")

    screenshot = os.environ.get("SANDBOX_SCREENSHOT")
    if screenshot:
        await page.mouse.move(0, 0)
        await expect(page.locator(".toast")).to_have_count(0)  # toasts fade after a few seconds
        await asyncio.sleep(0.3)  # let the bubble animations settle
        await page.screenshot(path=screenshot, type="png")

    # Alice ends the chat; both get the rating buttons and rate with 👍
    await alice.get_by_role("button", name="/stop", exact=True).click()
    await expect(bot_message(alice, "The chat is over")).to_be_visible()
    await expect(bot_message(bob, "Your partner has left the chat")).to_be_visible()
    for column, text in ((alice, "How was your partner?"), (bob, "How was it?")):
        rating = bot_message(column, text)
        await rating.get_by_role("button", name="👍", exact=True).click()
        await expect(column.locator(".toast").filter(has_text="Thanks for the feedback!")).to_be_visible()
        # once rated, only Report, Block and Ask to talk again stay under the message
        await expect(rating.get_by_role("button", name="👍", exact=True)).to_have_count(0)
        await expect(rating.get_by_role("button", name="🚩 Report")).to_be_visible()
        await expect(rating.get_by_role("button", name="🔁 Ask to talk again")).to_be_visible()


# --- the page as a Telegram look-alike, with the test as the bot -----------------------------------


@pytest.fixture
async def page_server() -> AsyncIterator[BotAPIEmulator]:
    """The page and the emulator, and no bot: the test plays the bot."""
    emulator = sandbox_emulator()
    runner = await serve_page(emulator, port=0)
    try:
        yield emulator
    finally:
        await emulator.stop()
        await runner.cleanup()


@pytest.fixture
async def bot(page_server: BotAPIEmulator) -> AsyncIterator[Bot]:
    client = Bot(SANDBOX_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(page_server.base_url)))
    yield client
    await client.session.close()


async def next_updates(bot: Bot, offset: int | None, allowed: list[str] | None = None) -> list[Update]:
    """Wait for the next updates (long polling), and confirm them."""
    async with asyncio.timeout(TIMEOUT_MS / 1000):
        while True:
            updates = await bot.get_updates(offset=offset, timeout=5, allowed_updates=allowed)
            if updates:
                await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
                return updates


async def user_on_page(page: Any, base_url: str, name: str, language: str) -> Any:
    """The first column of a fresh page, as a new user who pressed START."""
    await page.goto(base_url + "/")
    column = page.locator("section.column").first
    await create_user(column, name, language)
    await column.get_by_role("button", name="START", exact=True).click()
    return column


async def test_command_chips_are_the_bots_own_menu_in_the_users_language(
    page_server: BotAPIEmulator, bot: Bot, page: Any
) -> None:
    private = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(
        [BotCommand(command="search", description="Find a partner"), BotCommand(command="help", description="Help")],
        scope=private,
    )
    await bot.set_my_commands(
        [
            BotCommand(command="search", description="Найти собеседника"),
            BotCommand(command="language", description="Язык"),
            BotCommand(command="help", description="Помощь"),
        ],
        scope=private,
        language_code="ru",
    )
    column = await user_on_page(page, page_server.base_url, "Ира", "ru")
    chips = column.locator(".chips .chip")
    await expect(chips).to_have_text(["/search", "/language", "/help"])
    await expect(chips.first).to_have_attribute("title", "Найти собеседника")

    await column.get_by_role("button", name="/language", exact=True).click()
    await expect(column.locator('.msg[data-from="user"]')).to_have_count(2)
    updates = await next_updates(bot, None)
    assert [u.message.text for u in updates if u.message] == ["/start", "/language"]


async def test_a_reply_keyboard_shows_under_the_input_and_a_tap_sends_its_text(
    page_server: BotAPIEmulator, bot: Bot, page: Any
) -> None:
    column = await user_on_page(page, page_server.base_url, "Alice", "en")
    start = (await next_updates(bot, None))[-1]
    assert start.message is not None
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="⏭ Next"), KeyboardButton(text="⏹ Stop")]],
        is_persistent=True,
        resize_keyboard=True,
        input_field_placeholder="Say hi to your partner",
    )
    await bot.send_message(start.message.chat.id, "Partner found", reply_markup=keyboard)

    board = column.get_by_role("group", name="The bot's keyboard")
    await expect(board).to_be_visible()
    await expect(board.get_by_role("button")).to_have_text(["⏭ Next", "⏹ Stop"])
    await expect(column.locator("textarea.input")).to_have_attribute("placeholder", "Say hi to your partner")
    composer, under = await column.locator(".composer").bounding_box(), await board.bounding_box()
    assert under["y"] >= composer["y"] + composer["height"] - 1, "the keyboard sits under the input, as in Telegram"
    await expect(column.locator(".kb-toggle")).to_be_hidden()  # a persistent keyboard can't be put away

    await board.get_by_role("button", name="⏭ Next").click()
    tapped = await next_updates(bot, start.update_id + 1)
    assert [u.message.text for u in tapped if u.message] == ["⏭ Next"]
    await expect(column.locator('.msg[data-from="user"]').last).to_contain_text("⏭ Next")

    await bot.send_message(start.message.chat.id, "Chat over", reply_markup=ReplyKeyboardRemove())
    await expect(board).to_be_hidden()
    await expect(column.locator("textarea.input")).to_have_attribute("placeholder", "Message")


async def test_tapping_a_message_offers_reactions_and_choosing_one_tells_the_bot(
    page_server: BotAPIEmulator, bot: Bot, page: Any
) -> None:
    column = await user_on_page(page, page_server.base_url, "Alice", "en")
    allowed = ["message", "message_reaction"]
    start = (await next_updates(bot, None, allowed))[-1]
    assert start.message is not None
    chat_id = start.message.chat.id
    sent = await bot.send_message(chat_id, "How is your day?")

    bubble = column.locator('.msg[data-from="bot"]').filter(has_text="How is your day?").locator(".bubble")
    await bubble.click()
    await column.get_by_role("toolbar", name="Reactions").get_by_role("button", name="React with 👍").click()
    reaction = (await next_updates(bot, start.update_id + 1, allowed))[0].message_reaction
    assert reaction is not None and reaction.message_id == sent.message_id and reaction.user is not None
    assert [r.model_dump(mode="json") for r in reaction.new_reaction] == [{"type": "emoji", "emoji": "👍"}]
    await expect(column.locator(".reaction.mine")).to_have_text("👍")
    await expect(column.get_by_role("toolbar", name="Reactions")).to_have_count(0)

    # the bot's reaction shows on the user's own message; a message the bot deletes disappears
    own = await page_server.get_user(chat_id).send_text("Great, thanks!")
    await bot.set_message_reaction(chat_id, own, reaction=[ReactionTypeEmoji(emoji="🔥")])
    await expect(column.locator('.msg[data-from="user"]').last.locator(".reaction")).to_have_text("🔥")
    await bot.delete_message(chat_id, sent.message_id)
    await expect(column.locator('.msg[data-from="bot"]').filter(has_text="How is your day?")).to_have_count(0)


async def test_formatting_entities_render_as_telegram_shows_them(
    page_server: BotAPIEmulator, bot: Bot, page: Any
) -> None:
    column = await user_on_page(page, page_server.base_url, "Alice", "en")
    start = (await next_updates(bot, None))[-1]
    assert start.message is not None
    html = (
        "<b>bold</b> <i>italic</i> <u>underline</u> <s>struck</s> <tg-spoiler>secret</tg-spoiler> "
        '<code>code</code> <a href="https://example.org/page">a link</a>\n<pre>pre block</pre>'
        "<blockquote>quoted</blockquote>"
    )
    await bot.send_message(start.message.chat.id, html, parse_mode="HTML")
    text = column.locator('.msg[data-from="bot"] .text').last
    for selector, shown in (
        ("strong", "bold"),
        ("em", "italic"),
        ("u", "underline"),
        ("s", "struck"),
        (".spoiler", "secret"),
        ("code", "code"),
        ('a[href="https://example.org/page"]', "a link"),
        ("pre", "pre block"),
        ("blockquote", "quoted"),
    ):
        await expect(text.locator(selector)).to_have_text(shown)
    spoiler = text.locator(".spoiler")
    await expect(spoiler).not_to_have_class(re.compile("revealed"))
    await spoiler.click()
    await expect(spoiler).to_have_class(re.compile("revealed"))


async def test_words_keep_their_spacing_with_only_dejavu_and_the_emoji_font(
    page_server: BotAPIEmulator, bot: Bot, page: Any
) -> None:
    """The emoji font has wide spaces and digits of its own; it must draw emoji only."""
    column = await user_on_page(page, page_server.base_url, "Alice", "en")
    start = (await next_updates(bot, None))[-1]
    assert start.message is not None
    await bot.send_message(start.message.chat.id, "Hello world, how are you? 123 🎹")
    text = column.locator('.msg[data-from="bot"] .text').last
    await expect(text).to_contain_text("Hello world")
    widths = await text.evaluate(
        """node => {
            const probe = (font) => {
                const span = document.createElement("span");
                span.style.cssText = "position: absolute; white-space: nowrap; font-size: 14px";
                span.style.fontFamily = font;
                span.textContent = "Hello world, how are you? 123";
                document.body.append(span);
                const width = span.getBoundingClientRect().width;
                span.remove();
                return width;
            };
            return [probe(getComputedStyle(node).fontFamily), probe("sans-serif")];
        }"""
    )
    page_font, plain_sans = widths
    # the same text in plain sans-serif: what the page shows when the emoji font draws emoji only
    assert page_font == pytest.approx(plain_sans, rel=0.02), widths


async def test_the_page_says_when_the_sandbox_is_gone_and_reconnects_when_it_is_back(page: Any) -> None:
    first = sandbox_emulator()
    runner = await serve_page(first, port=0)
    port = first.port
    try:
        await page.goto(first.base_url + "/")
        column = page.locator("section.column").first
        await create_user(column, "Alice", "en")
        await column.get_by_role("button", name="START", exact=True).click()
        await expect(column.locator('.msg[data-from="user"]')).to_have_count(1)
    finally:
        await first.stop()
        await runner.cleanup()

    gone = page.get_by_role("alert").filter(has_text="Sandbox is gone — reconnecting…")
    await expect(gone).to_be_visible()

    second = sandbox_emulator()
    runner = await serve_page(second, port=port)
    try:
        assert second.port == port
        await expect(gone).to_be_hidden()
        # the same person, in a fresh chat with the restarted sandbox
        await expect(column.locator(".toast")).to_contain_text("The sandbox restarted")
        await expect(column.locator('.msg[data-from="user"]')).to_have_count(0)
        await column.locator("textarea.input").fill("hello again")
        await column.locator("textarea.input").press("Enter")
        await expect(column.locator('.msg[data-from="user"]')).to_contain_text("hello again")
        alice = second.users[0]
        assert alice.first_name == "Alice" and [m.text for m in alice.outbox] == ["hello again"]
    finally:
        await second.stop()
        await runner.cleanup()
