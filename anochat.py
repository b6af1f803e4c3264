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

from roulette.logs import configure_logging
from roulette.settings import Settings, SettingsError, load_settings


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

    return asyncio.run(run_sandbox(settings))


def cmd_check(settings: Settings) -> int:
    from roulette.bot.app import resolve_database_url
    from roulette.invariants import run_check
    from roulette.storage.migrations import apply_migrations

    url = resolve_database_url(settings)
    apply_migrations(url)
    return asyncio.run(run_check(url))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


COMMANDS = {"run": cmd_run, "migrate": cmd_migrate, "sandbox": cmd_sandbox, "check": cmd_check}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="anochat.py", description="Anonymous chat roulette for Telegram.")
    parser.add_argument("command", nargs="?", default="run", choices=sorted(COMMANDS))
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        return COMMANDS[args.command](settings)
    except KeyboardInterrupt:
        return 0
    except (asyncpg.PostgresError, psycopg.OperationalError) as error:
        print(f"Database error (check DATABASE_URL): {_first_line(error)}", file=sys.stderr)
        return 3
    except OSError as error:  # a database socket that is not there, a port already taken, ...
        print(f"Cannot start: {_first_line(error)}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
