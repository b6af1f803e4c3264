"""Latency against offered load, from a bench_relay.py result: Anochat and the baseline, per mode.

    python bench/plot.py bench/results/relay.json docs/latency.png

Needs matplotlib (pip install matplotlib). A hollow marker is a load the bot did not keep up with
(it fell behind the schedule or lost messages): its latency there is mostly queueing.
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


def _points(run: dict[str, Any], field: str) -> tuple[list[int], list[float], list[bool]]:
    loads = sorted(run["loads"], key=lambda load: load["offered_per_s"])
    usable = [load for load in loads if not math.isnan(load[field])]
    return (
        [load["offered_per_s"] for load in usable],
        [load[field] for load in usable],
        [load["kept_up"] for load in usable],
    )


def plot(report: dict[str, Any], output: Path) -> None:
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("result", type=Path, help="a JSON file written by bench/bench_relay.py")
    parser.add_argument("output", type=Path, help="the PNG to write")
    args = parser.parse_args(argv)
    plot(json.loads(args.result.read_text(encoding="utf-8")), args.output)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
