"""What the tests and the benchmarks share: a Bot API double, the real bot as a process, seeding,
driving the Dispatcher through a user's journey, and the reliability suite's figures.

Test modules import from here, never from each other.
"""
