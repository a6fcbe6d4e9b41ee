"""The garbage collector paused while large trees of acyclic data are built, and at exit.

Loading a benchmark or reading a run back makes tens of thousands of dicts and lists in one
go; each collection their allocations set off walks the whole growing heap again and finds
nothing to free (JSON data holds no cycles): a second of BFCL v3's load, a third of one of
its viewer.
"""

from __future__ import annotations

import atexit
import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_gc() -> Iterator[None]:
    """No cyclic collection inside; the collector is left as it was found."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def freeze_at_exit() -> None:
    """At interpreter exit, move what is left to the permanent generation: CPython's
    finalization otherwise walks the whole heap for cycles whose memory the system takes back
    anyway (0.8-1.0 s after a 10,000-sample run, 0.04 s with this). pytest has looked for
    unraisable exceptions by then; atexit handlers registered before this one run after it."""
    atexit.unregister(gc.freeze)  # once, however many sessions a process runs
    atexit.register(gc.freeze)
