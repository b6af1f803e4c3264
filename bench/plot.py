"""Plots of bench results; the result file says which bench wrote it.

    python bench/plot.py bench/results/relay.json docs/latency.png
    python bench/plot.py bench/results/matchmaking.json docs/matchmaking.png

Needs matplotlib (pip install matplotlib).

bench_relay.py: latency against offered load, Anochat and the baseline, per mode. A hollow marker is
a load the bot did not keep up with (it fell behind the schedule or lost messages): its latency there
is mostly queueing.

bench_matchmaking.py: one panel per standing queue (lopsided, mixed): the p50 of a search that finds
nobody and of one that pairs, as multiples of a search that finds nobody in the empty queue (same
run), with the 3x line the cost must stay under.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MODES = ("polling", "webhook")
BOTS = {"anochat": ("Anochat", "tab:blue"), "baseline": ("baseline (aiogram, no database)", "tab:gray")}
TARGET_P99_MS = 25.0
TARGET_LOAD = 300
CEILING = 3.0
SERIES = {"nobody_ratio": ("finds nobody", "tab:blue"), "pairs_ratio": ("pairs", "tab:orange")}


def _points(run: dict[str, Any], field: str) -> tuple[list[int], list[float], list[bool]]:
    loads = sorted(run["loads"], key=lambda load: load["offered_per_s"])
    usable = [load for load in loads if not math.isnan(load[field])]
    return (
        [load["offered_per_s"] for load in usable],
        [load[field] for load in usable],
        [load["kept_up"] for load in usable],
    )


def plot_relay(report: dict[str, Any], output: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.transforms import blended_transform_factory

    runs = report["runs"]
    figure, axes = plt.subplots(1, len(MODES), figsize=(11, 4.6), sharey=True, constrained_layout=True)
    for axis, mode in zip(axes, MODES, strict=True):
        for bot, (label, colour) in BOTS.items():
            run = runs.get(f"{bot}-{mode}")
            if run is None or not run["loads"]:
                continue
            for field, style, name in (("p50_ms", "-", "p50"), ("p99_ms", "--", "p99")):
                loads, latencies, kept_up = _points(run, field)
                axis.plot(loads, latencies, style, color=colour, label=f"{label} {name}", linewidth=1.8)
                for load, latency, kept in zip(loads, latencies, kept_up, strict=True):
                    axis.plot(
                        [load],
                        [latency],
                        "o",
                        color=colour,
                        markerfacecolor=colour if kept else "white",
                        markersize=6,
                    )
        axis.axhline(TARGET_P99_MS, color="tab:red", linestyle=":", linewidth=1)
        axis.text(
            0.99,
            TARGET_P99_MS * 1.08,
            f"target: p99 ≤ {TARGET_P99_MS:g} ms at {TARGET_LOAD} msg/s",
            transform=blended_transform_factory(axis.transAxes, axis.transData),
            horizontalalignment="right",
            color="tab:red",
            fontsize=8,
        )
        axis.set_yscale("log")
        axis.set_title(f"{mode}")
        axis.set_xlabel("offered load, messages/s (open loop)")
        axis.grid(True, which="both", alpha=0.25)
        axis.legend(fontsize=8, loc="upper left")
    axes[0].set_ylabel("send → partner's copy, ms (log scale)")
    machine, plan = report["machine"], report["plan"]
    figure.suptitle(
        f"Relay latency, {plan['pairs']} pairs, {machine['cpus']} CPUs ({report['measured_at'][:10]});"
        " hollow marker: fell behind",
        fontsize=10,
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=110)


def plot_matchmaking(report: dict[str, Any], output: Path) -> None:
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


PLOTS = {"relay": plot_relay, "matchmaking": plot_matchmaking}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("result", type=Path, help="a JSON file written by bench/bench_relay.py or bench_matchmaking.py")
    parser.add_argument("output", type=Path, help="the PNG to write")
    args = parser.parse_args(argv)
    report = json.loads(args.result.read_text(encoding="utf-8"))
    plot = PLOTS.get(report.get("benchmark"))
    if plot is None:
        parser.error(f"{args.result} is not a result of bench_relay.py or bench_matchmaking.py")
    plot(report, args.output)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
