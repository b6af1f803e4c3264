"""What telling waiting users about their wait costs as the queue grows.

    python bench/bench_waiting.py [--sizes 0,1000,10000,50000] [--runs 300]

Uses the server in DATABASE_URL, or the embedded PostgreSQL in .data/bench-postgres, in a
throwaway database. For each size it fills one pool (adult, English: men who want women, from
bench_matchmaking's lopsided seed) with that many waiting users and times, inside the server:
  count:       how many search in the pool, as a user who starts waiting is shown
               (sql/count_searching_in_pool.sql, counting up to 1,000);
  full count:  the same count without the bound, for comparison;
  figures:     the aggregate counts of the whole queue a hint sweep reads (sql/waiting_figures.sql);
  claim:       claiming one batch of 100 due hints (sql/claim_wait_hints.sql; rolled back).
Each twice: right after the queue was filled (its pages not yet marked all-visible, as in a
queue that changes all the time: the index-only reads visit the table too) and after a VACUUM.
Costs are p50 in ms and as a ratio to the same step with the queue empty, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `roulette` importable
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from bench.bench_matchmaking import _SEED_LOPSIDED  # noqa: E402
from bench.databases import throwaway_database  # noqa: E402
from roulette.domain import INTEREST_CATALOG  # noqa: E402
from roulette.storage.queries import sql  # noqa: E402
from roulette.usecases.search import SEARCHING_SHOWN_UP_TO  # noqa: E402
from roulette.usecases.search import WAIT_HINT_BATCH  # noqa: E402

PROBE = 1  # a waiting user of the pool, whose count is asked for
_QUEUE_ALL = """
INSERT INTO search_queue (user_id, gender, age, interests, language, partner_gender, partner_age_min,
                          partner_age_max, interests_mode, partner_language, enqueued_at)
SELECT id, gender, age, interests, language, partner_gender, partner_age_min, partner_age_max, interests_mode,
       partner_language, now() - interval '10 minutes' + id * interval '1 millisecond'
FROM users
"""
# Time a statement inside the server, so that the client's scheduling on a shared box adds nothing.
_TIMER = """
CREATE OR REPLACE FUNCTION bench_time(statement TEXT, runs INTEGER) RETURNS SETOF DOUBLE PRECISION
LANGUAGE plpgsql AS $function$
DECLARE
    started TIMESTAMPTZ;
BEGIN
    FOR run IN 1 .. runs LOOP
        started := clock_timestamp();
        EXECUTE statement;
        RETURN NEXT extract(epoch FROM clock_timestamp() - started) * 1000;
    END LOOP;
END
$function$
"""


def steps(runs: int) -> dict[str, tuple[str, int, bool]]:
    """name → (statement with its parameters filled in, runs, rolled back after each run)."""
    count = sql("count_searching_in_pool").replace("$1", str(PROBE))
    claim = sql("claim_wait_hints").replace("$1", "60").replace("$2", str(WAIT_HINT_BATCH))
    return {
        "count": (count.replace("$2", str(SEARCHING_SHOWN_UP_TO)), runs, False),
        "full count": (count.replace("$2", "2000000000"), runs, False),
        "figures": (sql("waiting_figures"), max(5, runs // 20), False),
        "claim": (claim, max(5, runs // 10), True),
    }


async def time_step(connection: asyncpg.Connection[Any], statement: str, runs: int, rolled_back: bool) -> float:
    """p50 in ms. A claim is rolled back after each run, so that every run claims the same batch."""
    if not rolled_back:
        return statistics.median(
            await connection.fetchval("SELECT array_agg(t) FROM bench_time($1, $2) AS t", statement, runs)
        )
    times = []
    for _ in range(runs):
        transaction = connection.transaction()
        await transaction.start()
        times.append(await connection.fetchval("SELECT bench_time($1, 1)", statement))
        await transaction.rollback()
    return statistics.median(times)


async def measure(database_url: str, sizes: Sequence[int], runs: int) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(_TIMER)
        baseline: dict[tuple[str, str], float] = {}
        print(f"{'waiting':>8} {'state':>10} " + " ".join(f"{name:>22}" for name in steps(runs)))
        for size in sizes:  # 0: the probe waits alone
            await connection.execute("TRUNCATE search_queue, users CASCADE")
            await connection.execute("SELECT setseed(0.2026)")
            await connection.execute(_SEED_LOPSIDED, PROBE, PROBE + max(size, 1) - 1, list(INTEREST_CATALOG))
            await connection.execute(_QUEUE_ALL)
            await connection.execute("ANALYZE search_queue")
            for state in ("churning", "vacuumed"):
                if state == "vacuumed":
                    await connection.execute("VACUUM search_queue")
                cells = []
                for name, (statement, step_runs, rolled_back) in steps(runs).items():
                    p50 = await time_step(connection, statement, step_runs, rolled_back)
                    base = baseline.setdefault((name, state), p50)
                    cells.append(f"{p50:8.3f} ms {p50 / base:6.1f}×")
                print(f"{size:>8} {state:>10} " + " ".join(f"{cell:>22}" for cell in cells), flush=True)
    finally:
        await connection.close()


async def run(sizes: Sequence[int], runs: int) -> None:
    async with throwaway_database("anochat_bench_waiting") as database_url:
        await measure(database_url, sizes, runs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0,1000,10000,50000", help="queue sizes (0,1000,10000,50000)")
    parser.add_argument("--runs", type=int, default=300, help="timed runs of each step per size (300)")
    args = parser.parse_args(argv)
    asyncio.run(run([int(size) for size in args.sizes.split(",")], args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
