"""What the cluster prints: one line per step, with how long it took."""

import contextlib
import sys
import time


def say(text):
    print(f"cluster: {text}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def phase(name):
    start = time.monotonic()
    say(f"{name} ...")
    yield
    say(f"{name}: {time.monotonic() - start:.1f} s")
