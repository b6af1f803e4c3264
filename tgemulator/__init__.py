"""A local Telegram: the Bot API emulator, simulated users and the sandbox page.

Used by the tests, the benchmarks and the sandbox; it knows nothing of the bot it serves.
"""

from .faults import Fault
from .models import ApiError
from .models import CallbackAnswer
from .models import EmulatorConfig
from .models import EmuMessage
from .models import SentRecord
from .server import BotAPIEmulator
from .users import SimUser

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
