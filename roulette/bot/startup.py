"""What must work before the bot takes updates, each failure told as one line naming the fix."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.exceptions import TelegramNetworkError
from aiogram.exceptions import TelegramNotFound
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.types import User

from roulette.settings import Settings

#: Exit statuses of `python anochat.py`, also listed in the README.
WRONG_SETTING = 2
UNREACHABLE = 3
TELEGRAM_REFUSED = 4


class StartupError(Exception):
    """The bot cannot start; the message is one line that names the setting to look at."""

    def __init__(self, message: str, exit_status: int) -> None:
        super().__init__(message)
        self.exit_status = exit_status


async def introduce(bot: Bot, settings: Settings) -> User:
    """getMe: Telegram is reachable and takes the token."""
    where = settings.telegram_api_url or "api.telegram.org"
    try:
        return await bot.get_me()
    except (TelegramUnauthorizedError, TelegramNotFound) as error:
        # 401: revoked or mistyped; 404: shaped like a token but not one Telegram ever issued
        raise StartupError(
            f"BOT_TOKEN: Telegram ({where}) refused the token ({first_line(error)}); "
            "copy it again from @BotFather (/token), it may have been revoked",
            WRONG_SETTING,
        ) from None
    except TelegramNetworkError as error:
        raise StartupError(
            f"Cannot reach Telegram at {where} ({first_line(error)}); "
            "check the network, or TELEGRAM_API_URL if it is set",
            UNREACHABLE,
        ) from None
    except TelegramAPIError as error:
        raise StartupError(
            f"Telegram ({where}) answered getMe with an error ({first_line(error)}); "
            "check BOT_TOKEN and TELEGRAM_API_URL, or try again later",
            TELEGRAM_REFUSED,
        ) from None


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
