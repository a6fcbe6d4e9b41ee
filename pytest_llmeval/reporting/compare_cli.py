"""``pytest-llmeval compare RUN_A RUN_B [--max-drop SPEC ...]``: two finished runs, paired.

RUN_A is the baseline, RUN_B the new run; each is a run folder or its report.json (the
records come from the folder's samples.jsonl). Prints the comparison table the plugin prints
with ``--llm-baseline``, the unpaired samples and a warning when the runs' data or settings
differ. Exit status: 0, or 1 when a ``--max-drop`` gate fails (a drop beyond its margin, or
a gated figure that was not compared), or 2 on bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any, NoReturn

from ..benchmarks import REGISTRY, RegistryError
from ..benchmarks.base import Benchmark
from .baseline import RunError, compare_runs, read_run
from .compare import MaxDrop, NoOverlapError, parse_max_drop

PROG = "pytest-llmeval compare"


class _BadInput(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _BadInput(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Compare two finished pytest-llmeval runs sample by sample.",
    )
    parser.add_argument("run_a", metavar="RUN_A", help="the baseline: a run folder or report.json")
    parser.add_argument("run_b", metavar="RUN_B", help="the new run: a run folder or report.json")
    parser.add_argument(
        "--max-drop",
        action="append",
        default=[],
        metavar="SPEC",
        help="DATASET[:METRIC][:SUBSET]=MARGIN: exit 1 when RUN_B - RUN_A is below -MARGIN "
        "beyond noise (one-sided 95%% bound); repeatable",
    )
    return parser


def compare_main(argv: list[str]) -> int:
    """Run ``compare`` with these arguments (without the program and subcommand names)."""
    try:
        args = _parser().parse_args(argv)
    except _BadInput as error:
        return _bad(str(error))
    except SystemExit as done:  # --help
        return int(done.code or 0)
    try:
        base, new = read_run(args.run_a), read_run(args.run_b)
        benchmarks = _Benchmarks(new.meta)
        gates = [benchmarks.resolve(parse_max_drop(text, "--max-drop")) for text in args.max_drop]
        comparison = compare_runs(base, new.records, new.meta, benchmarks.get, gates)
    except (RunError, NoOverlapError, ValueError) as error:
        return _bad(str(error))
    if comparison.warning:
        print(f"warning: {comparison.warning}")
    print("\n".join(comparison.lines()))
    for check in comparison.checks:
        print(f"max-drop {check.gate.text}: {'FAILED' if check.failed else 'ok'}: {check.message}")
    return 1 if comparison.failures else 0


class _Benchmarks:
    """The benchmarks named in the runs, built with the new run's options and repeats; a
    dataset whose benchmark is not installed is compared on its per-sample metrics."""

    def __init__(self, meta: Mapping[str, Any] | None) -> None:
        self.options = dict((meta or {}).get("options") or {})
        self.repeats = int((meta or {}).get("repeats") or 1)
        self._built: dict[str, Benchmark | None] = {}

    def get(self, name: str) -> Benchmark | None:
        if name not in self._built:
            try:
                self._built[name] = REGISTRY.get(name)(self.options, self.repeats)
            except RegistryError:
                self._built[name] = None
        return self._built[name]

    def resolve(self, gate: MaxDrop) -> MaxDrop:
        """Named against the benchmark's figures when it is installed (a typo is bad input);
        otherwise against the compared rows, when the gates are checked."""
        benchmark = self.get(gate.dataset)
        if benchmark is None:
            return gate
        metrics, subsets = benchmark.figures()
        try:
            return gate.resolve(metrics, subsets)
        except ValueError as error:
            raise ValueError(f"--max-drop {error.args[0]}") from None


def _bad(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":  # python -m pytest_llmeval.reporting.compare_cli RUN_A RUN_B
    sys.exit(compare_main(sys.argv[1:]))
