"""Benchmarks: run each file as a script, e.g. `python bench/bench_matchmaking.py --help`."""
