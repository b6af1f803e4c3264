"""Local stand-ins for Telegram used by tests, benchmarks and the browser sandbox."""

from .emulator import BotAPIEmulator, Fault, SimUser
from .emulator_state import ApiError, CallbackAnswer, EmulatorConfig, EmuMessage, SentRecord

__all__ = [
    "ApiError",
    "BotAPIEmulator",
    "CallbackAnswer",
    "EmuMessage",
    "EmulatorConfig",
    "Fault",
    "SentRecord",
    "SimUser",
]
