"""The one benchmark registry: name → Benchmark class.

Benchmarks come from the ``pytest_llmeval.benchmarks`` entry-point group (ours and those of
installed benchmark packs alike) and from ``register`` in a ``conftest.py``. The registry is
filled the same way in every process (an xdist controller imports no test module), and a
benchmark's options are known before pytest parses the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata

from ..config import Option
from .base import Benchmark, ExtraRows, JudgeError, RunContext

ENTRY_POINT_GROUP = "pytest_llmeval.benchmarks"


class RegistryError(Exception):
    """A benchmark that cannot be found or registered; the message is one line."""


class Registry:
    def __init__(self) -> None:
        self._classes: dict[str, type[Benchmark]] = {}
        self._entry_points: dict[str, metadata.EntryPoint] | None = None
        self.on_register: Callable[[type[Benchmark]], None] | None = None
        """Set by the plugin: adds a conftest benchmark's options, or refuses a late one."""

    def _declared(self) -> dict[str, metadata.EntryPoint]:
        if self._entry_points is None:
            found = metadata.entry_points(group=ENTRY_POINT_GROUP)
            self._entry_points = {ep.name: ep for ep in found}
        return self._entry_points

    def add(self, benchmark: type[Benchmark]) -> type[Benchmark]:
        if self.on_register is not None:
            self.on_register(benchmark)
        self._classes[benchmark.name] = benchmark
        return benchmark

    def names(self) -> list[str]:
        return sorted({*self._declared(), *self._classes})

    def get(self, name: str) -> type[Benchmark]:
        if name not in self._classes:
            entry_point = self._declared().get(name)
            if entry_point is None:
                raise RegistryError(
                    f"unknown benchmark {name!r} (known: {', '.join(self.names())})"
                )
            try:
                benchmark = entry_point.load()
            except Exception as error:  # a broken pack: one line, not a traceback
                raise RegistryError(
                    f"benchmark {name!r} ({entry_point.value}) failed to import: {error!r}"
                ) from None
            self._classes[name] = benchmark
        return self._classes[name]

    def options(self) -> tuple[Option, ...]:
        """Every option the known benchmarks declare, each once (shared ones by flag)."""
        found: dict[str, Option] = {}
        for name in self.names():
            try:
                declared = self.get(name).options
            except RegistryError:
                continue  # reported when the benchmark is asked for
            for option in declared:
                found.setdefault(option.flag, option)
        return tuple(found.values())


REGISTRY = Registry()


def register(benchmark: type[Benchmark]) -> type[Benchmark]:
    """Make a benchmark of your own known by its `name` (a class decorator for conftest.py)."""
    return REGISTRY.add(benchmark)


__all__ = [
    "REGISTRY",
    "Benchmark",
    "ExtraRows",
    "JudgeError",
    "RegistryError",
    "RunContext",
    "register",
]
