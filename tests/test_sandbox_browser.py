"""The sandbox page in headless Chromium, used like a person would use it.

Two simulated users are created on the page, go through onboarding by clicking the bot's
buttons and typing, get paired, exchange a message and a sample photo, end the chat with
/stop and rate each other with 👍. Everything is asserted on what the page shows.

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
from aiohttp import web

from roulette.bot.app import run_polling
from roulette.sandbox import SANDBOX_TOKEN, sandbox_emulator
from roulette.settings import load_settings
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
    await column.get_by_role("button", name="/start", exact=True).click()
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

    screenshot = os.environ.get("SANDBOX_SCREENSHOT")
    if screenshot:
        await page.mouse.move(0, 0)
        await expect(page.locator(".toast")).to_have_count(0)  # toasts fade after a few seconds
        await asyncio.sleep(0.3)  # let the bubble animations settle
        await page.screenshot(path=screenshot, type="png")

    # Alice ends the chat; both get the rating buttons and rate with 👍
    await alice.get_by_role("button", name="/stop", exact=True).click()
    await expect(bot_message(alice, "You left the chat")).to_be_visible()
    await expect(bot_message(bob, "Your partner has left the chat")).to_be_visible()
    for column, text in ((alice, "You left the chat"), (bob, "Your partner has left the chat")):
        rating = bot_message(column, text)
        await rating.get_by_role("button", name="👍", exact=True).click()
        await expect(column.locator(".toast").filter(has_text="Thanks for the feedback!")).to_be_visible()
        # once rated, only Report and Block stay under the message
        await expect(rating.get_by_role("button", name="👍", exact=True)).to_have_count(0)
        await expect(rating.get_by_role("button", name="🚩 Report")).to_be_visible()
