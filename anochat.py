"""Anochat: anonymous 1-on-1 chat roulette for Telegram.

python anochat.py            run the bot (the local sandbox when BOT_TOKEN is unset)
python anochat.py run        the same
python anochat.py migrate    apply database migrations and exit
python anochat.py sandbox    the local sandbox: a simulated Telegram in the browser
python anochat.py check      report any broken invariant in the database
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg
import psycopg

from roulette.bot.startup import UNREACHABLE
from roulette.bot.startup import WRONG_SETTING
from roulette.bot.startup import StartupError
from roulette.bot.startup import first_line
from roulette.logs import configure_logging
from roulette.settings import Settings
from roulette.settings import SettingsError
from roulette.settings import load_settings


def cmd_migrate(settings: Settings) -> int:
    from roulette.bot.app import resolve_database_url
    from roulette.storage.migrations import apply_migrations

    applied = apply_migrations(resolve_database_url(settings))
    print(f"migrations applied: {applied}")
    return 0


def cmd_run(settings: Settings) -> int:
    if settings.bot_token is None:
        return cmd_sandbox(settings)
    from roulette.bot.app import run

    asyncio.run(run(settings))
    return 0


def cmd_sandbox(settings: Settings) -> int:
    from roulette.sandbox import run_sandbox

    if settings.database_url:
        # fail here, naming DATABASE_URL, rather than deep inside the sandbox's set-up
        psycopg.connect(settings.database_url, connect_timeout=10).close()

    return asyncio.run(run_sandbox(settings))


def cmd_check(settings: Settings) -> int:
    from roulette.bot.app import resolve_database_url
    from roulette.invariants import run_check
    from roulette.storage.migrations import apply_migrations

    url = resolve_database_url(settings)
    apply_migrations(url)
    return asyncio.run(run_check(url))


COMMANDS = {
    "run": (
        cmd_run,
        "run the bot: long polling, or a webhook server when WEBHOOK_URL is set; the sandbox "
        "when BOT_TOKEN is unset (the default command)",
    ),
    "migrate": (cmd_migrate, "apply database migrations and exit (the bot also does it at start)"),
    "sandbox": (
        cmd_sandbox,
        "the local sandbox: a simulated Telegram in the browser, with a fresh database, even when BOT_TOKEN is set",
    ),
    "check": (cmd_check, "report any broken invariant in the database; exit status 1 if there is one"),
}

EPILOG = """exit status: 0 done; 1 check found a broken invariant; 2 a setting is wrong (BOT_TOKEN included,
when Telegram refuses it); 3 the database, Telegram or a port cannot be reached; 4 Telegram
answered with another error. Settings come from the environment or .env: see .env.example."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="anochat.py",
        description="Anochat: anonymous 1-on-1 chat roulette for Telegram.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    for name, (_run, description) in COMMANDS.items():
        commands.add_parser(name, help=description, description=description)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return WRONG_SETTING
    configure_logging(settings.log_level, settings.log_format)
    try:
        return COMMANDS[args.command or "run"][0](settings)
    except KeyboardInterrupt:
        return 0
    except StartupError as error:
        print(error, file=sys.stderr)
        return error.exit_status
    except (asyncpg.PostgresError, psycopg.OperationalError) as error:
        print(f"Database error (check DATABASE_URL): {first_line(error)}", file=sys.stderr)
        return UNREACHABLE
    except OSError as error:  # a database socket that is not there, a port already taken, ...
        print(f"Cannot start: {first_line(error)}", file=sys.stderr)
        return UNREACHABLE


if __name__ == "__main__":
    sys.exit(main())
