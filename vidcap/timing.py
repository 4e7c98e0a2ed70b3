"""Seconds spent per stage of a run, for `make bench`'s breakdown."""

import time
from contextlib import contextmanager


@contextmanager
def timed(seconds: dict, stage: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start
