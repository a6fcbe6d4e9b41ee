"""The garbage collector paused while large trees of acyclic data are built.

Loading a benchmark or reading a run back makes tens of thousands of dicts and lists in one
go; each collection their allocations set off walks the whole growing heap again and finds
nothing to free (JSON data holds no cycles): a second of BFCL v3's load, a third of one of
its viewer.
"""

from __future__ import annotations

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
