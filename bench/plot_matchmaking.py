"""What a search costs against the number of users waiting, from a bench_matchmaking.py result.

    python bench/plot_matchmaking.py bench/results/matchmaking.json docs/matchmaking.png

Needs matplotlib (pip install matplotlib). One panel per standing queue (lopsided, mixed): the
p50 of a search that finds nobody and of one that pairs, as multiples of a search that finds
nobody in the empty queue (same run), with the 3x line the cost must stay under.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CEILING = 3.0
SERIES = {"nobody_ratio": ("finds nobody", "tab:blue"), "pairs_ratio": ("pairs", "tab:orange")}


def plot(report: dict[str, Any], output: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mixes = sorted({result["mix"] for result in report["results"]}, key=["lopsided", "mixed"].index)
    figure, axes = plt.subplots(1, len(mixes), figsize=(5.2 * len(mixes), 4.0), sharey=True)
    for axis, mix in zip([axes] if len(mixes) == 1 else axes, mixes, strict=True):
        results = sorted((r for r in report["results"] if r["mix"] == mix), key=lambda r: r["waiting"])
        for field, (label, colour) in SERIES.items():
            points = [(r["waiting"], r[field]) for r in results if not math.isnan(r[field])]
            axis.plot([x for x, _ in points], [y for _, y in points], "o-", color=colour, label=label)
        axis.axhline(CEILING, color="tab:red", linestyle="--", linewidth=1, label=f"{CEILING:g}x the empty queue")
        axis.axhline(1.0, color="tab:gray", linestyle=":", linewidth=1)
        axis.set_xscale("symlog", linthresh=1000)
        sizes = [r["waiting"] for r in results]
        axis.set_xticks(sizes, [f"{size // 1000}k" if size else "0" for size in sizes])
        axis.set_xlim(0, max(sizes) * 1.3)
        axis.set_title(f"{mix} queue")
        axis.set_xlabel("users waiting")
        axis.grid(True, which="major", alpha=0.3)
    first = axes if len(mixes) == 1 else axes[0]
    first.set_ylabel("p50 per search / empty-queue p50")
    first.set_ylim(0, max(CEILING + 1, *(r[f] for r in report["results"] for f in SERIES if not math.isnan(r[f]))))
    first.legend(loc="upper left", fontsize="small")
    figure.suptitle(
        f"One search, p50 in the server, against the users waiting ({report['machine']['cpus']} CPUs,"
        f" {report['measured_at'][:10]})",
        fontsize="medium",
    )
    figure.tight_layout()
    figure.savefig(output, dpi=110)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("result", type=Path, help="a JSON file written by bench_matchmaking.py")
    parser.add_argument("output", type=Path, help="the PNG to write")
    args = parser.parse_args(argv)
    plot(json.loads(args.result.read_text(encoding="utf-8")), args.output)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
