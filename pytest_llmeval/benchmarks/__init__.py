"""The benchmark registry: dataset name → Benchmark class, imported only when used."""

from __future__ import annotations

import importlib

from .base import Benchmark, JudgeError, RunContext

BUILTIN = {
    "aime25": "pytest_llmeval.benchmarks.aime25:Aime25",
    "bfcl_v3": "pytest_llmeval.benchmarks.bfcl_v3.benchmark:BfclV3",
    "simple_qa": "pytest_llmeval.benchmarks.simple_qa:SimpleQA",
    "chinese_simpleqa": "pytest_llmeval.benchmarks.simple_qa:ChineseSimpleQA",
}
_registered: dict[str, type[Benchmark]] = {}


def register(benchmark: type[Benchmark]) -> type[Benchmark]:
    """Make a benchmark of your own known by its `name` (usable as a class decorator)."""
    _registered[benchmark.name] = benchmark
    return benchmark


def names() -> list[str]:
    return sorted({*BUILTIN, *_registered})


def get(name: str) -> type[Benchmark]:
    """The benchmark class; KeyError with the known names when there is none."""
    if name in _registered:
        return _registered[name]
    if name not in BUILTIN:
        raise KeyError(f"unknown benchmark {name!r} (known: {', '.join(names())})")
    module_name, _, class_name = BUILTIN[name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


__all__ = ["Benchmark", "JudgeError", "RunContext", "get", "names", "register"]
