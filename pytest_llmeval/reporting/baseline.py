"""A finished run read back from its folder, and a new run compared with it.

Used by the controller (``--llm-baseline PATH``, ``--llm-max-drop``) and by the standalone
``pytest-llmeval compare RUN_A RUN_B`` (`compare_cli`). The records come from the run's
``samples.jsonl`` (`SampleRecord.from_dict`), its settings from ``report.json``'s ``meta``;
the statistics are those of `compare` (pairing, paired rows, the max-drop gate), each
benchmark adding the rows of its own figures (`Benchmark.compare`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..records import SampleRecord
from .compare import (
    MCNEMAR,
    ComparisonRow,
    GateCheck,
    MaxDrop,
    Pairing,
    check_max_drops,
    compare_rows,
    pair,
)
from .table import format_score, grid

if TYPE_CHECKING:
    from ..benchmarks.base import Benchmark

SETTINGS = ("generation", "options", "repeats", "limit")
"""What must match for two runs to measure the same thing (besides the data's hash)."""
NAMED = 5  # unpaired samples named in the terminal (report.json names them all)


class RunError(ValueError):
    """A run folder that cannot be read as a baseline; the message is one line."""


@dataclass(frozen=True)
class FinishedRun:
    """A run as its folder holds it: where, its report.json ``meta`` (None when the run left
    no report.json, e.g. it was killed) and its records (summaries, without conversations)."""

    path: Path
    meta: Mapping[str, Any] | None
    records: tuple[SampleRecord, ...]


def read_run(path: str | Path) -> FinishedRun:
    """A run folder, or the report.json inside one; RunError (one line) when there is no
    samples.jsonl beside it or a file does not read. A last line cut off by a killed run is
    left out; any other unreadable line is an error."""
    given = Path(path)
    if given.is_dir():
        folder, report = given, given / "report.json"
    elif given.is_file() and given.suffix == ".json":
        folder, report = given.parent, given
    else:
        raise RunError(f"{path}: not a run folder or its report.json")
    samples = folder / "samples.jsonl"
    if not samples.is_file():
        raise RunError(f"{folder}: no samples.jsonl (the per-sample records to compare)")
    meta = None
    if report.is_file():
        try:
            meta = json.loads(report.read_text(encoding="utf-8"))["meta"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise RunError(f"{report}: not a pytest-llmeval report ({error!r})") from None
    try:
        lines = samples.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise RunError(f"{samples}: {error}") from None
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(SampleRecord.from_dict(json.loads(line)).summary())
        except (ValueError, TypeError) as error:
            if number == len(lines):
                break  # the line being written when the run was killed
            raise RunError(f"{samples}:{number}: not a sample record ({error})") from None
    if not records:
        raise RunError(f"{samples}: no sample records")
    return FinishedRun(folder, meta, tuple(records))


# -- settings that differ ----------------------------------------------------------------------


def differences(
    base: Mapping[str, Any] | None, new: Mapping[str, Any] | None, datasets: Sequence[str]
) -> list[str]:
    """What differs between two runs' report metadata that changes what a score measures:
    the content hash of each compared dataset's data, the generation settings, the
    benchmarks' options, repeats and limit. Empty when all match (or a run has no meta)."""
    if base is None or new is None:
        return []
    found = []
    base_data, new_data = base.get("datasets") or {}, new.get("datasets") or {}
    for name in datasets:
        old = (base_data.get(name) or {}).get("content_hash")
        fresh = (new_data.get(name) or {}).get("content_hash")
        if old != fresh:
            found.append(f"{name} data (content hash {old or '-'} vs {fresh or '-'})")
    for key in SETTINGS:
        if key == "generation":
            old = (base.get("model") or {}).get("generation")
            fresh = (new.get("model") or {}).get("generation")
        else:
            old, fresh = base.get(key), new.get(key)
        if old != fresh:
            found.append(f"{key} ({_change(old, fresh)})")
    return found


def _change(old: Any, new: Any) -> str:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        keys = [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]
        return ", ".join(f"{k} {_show(old.get(k))} → {_show(new.get(k))}" for k in keys)
    return f"{_show(old)} → {_show(new)}"


def _show(value: Any) -> str:
    return "-" if value is None else json.dumps(value, ensure_ascii=False)


# -- the comparison ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """A new run against a baseline: the paired rows, what did not pair, the settings that
    differ and the max-drop gates checked on the rows."""

    baseline: str
    rows: tuple[ComparisonRow, ...]
    pairing: Pairing
    differs: tuple[str, ...]
    checks: tuple[GateCheck, ...]
    baseline_has_meta: bool = True

    @property
    def failures(self) -> list[str]:
        """One line per max-drop gate that fails."""
        return [check.message for check in self.checks if check.failed]

    @property
    def warning(self) -> str | None:
        """One line when the two runs may not measure the same thing."""
        if not self.baseline_has_meta:
            return (
                f"baseline {self.baseline} has no report.json: "
                "its data hash and settings are not checked"
            )
        if self.differs:
            return f"baseline {self.baseline} differs from this run: " + "; ".join(self.differs)
        return None

    def to_dict(self) -> dict[str, Any]:
        """What report.json holds under "comparison" (the viewer and `compare` read it)."""
        unpaired = {
            name: {"count": len(refs), "samples": [str(ref) for ref in refs]}
            for name, refs in (
                ("only_base", self.pairing.only_base),
                ("only_new", self.pairing.only_new),
                ("unscored", self.pairing.unscored),
            )
        }
        return {
            "baseline": self.baseline,
            "paired": len(self.pairing.pairs),
            "warning": self.warning,
            "differs": list(self.differs),
            "rows": [row.to_dict() for row in self.rows],
            "unpaired": unpaired,
            "max_drops": [
                {
                    "spec": check.gate.text,
                    "dataset": check.gate.dataset,
                    "metric": check.row.metric if check.row else check.gate.metric,
                    "subset": check.row.subset if check.row else check.gate.subset,
                    "margin": check.gate.margin,
                    "upper_bound": check.upper,
                    "detectable_drop": check.detectable,
                    "failed": check.failed,
                    "message": check.message,
                }
                for check in self.checks
            ],
        }

    def lines(self) -> list[str]:
        """The terminal's account: the table, then the unpaired samples (a few named)."""
        lines = [comparison_table(self.rows)]
        lines += self.pairing.unpaired_lines(NAMED)
        lines.append(
            "Δ = New − Base over the samples in both runs; SE and 95% CI paired (clustered "
            "where samples share a cluster); p* McNemar's exact test, p a t-test on Δ / SE"
        )
        return lines


def compare_runs(
    baseline: FinishedRun,
    records: Sequence[SampleRecord],
    meta: Mapping[str, Any] | None,
    benchmark: Callable[[str], Benchmark | None],
    gates: Sequence[MaxDrop] = (),
) -> Comparison:
    """Pair a new run's records with the baseline's, compare each dataset by its benchmark
    (`Benchmark.compare`; the per-sample metrics when `benchmark(name)` is None), and check
    the gates. Raises `NoOverlapError` when no sample is scored in both runs, ValueError
    when a sample is in two subsets or twice in one run."""
    pairing = pair(
        [record.to_dict() for record in baseline.records],
        [record.to_dict() for record in records],
    )
    rows: list[ComparisonRow] = []
    datasets = sorted({paired.ref.dataset for paired in pairing.pairs})
    for dataset in datasets:
        own = _of_dataset(pairing, dataset)
        found = benchmark(dataset)
        rows += found.compare(own) if found is not None else compare_rows(own)
    return Comparison(
        str(baseline.path),
        tuple(rows),
        pairing,
        tuple(differences(baseline.meta, meta, datasets)),
        tuple(check_max_drops(rows, gates)),
        baseline_has_meta=baseline.meta is not None,
    )


def _of_dataset(pairing: Pairing, dataset: str) -> Pairing:
    def own(refs: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(ref for ref in refs if ref.dataset == dataset)

    return replace(
        pairing,
        pairs=tuple(p for p in pairing.pairs if p.ref.dataset == dataset),
        only_base=own(pairing.only_base),
        only_new=own(pairing.only_new),
        unscored=own(pairing.unscored),
    )


COLUMNS = (
    "Dataset",
    "Metric",
    "Subset",
    "Pairs",
    "Base",
    "New",
    "Δ",
    "SE",
    "95% CI",
    "p",
    "Worse",
    "Better",
)
NUMERIC = {"Pairs", "Base", "New", "Δ", "SE", "p", "Worse", "Better"}


def comparison_table(rows: Sequence[ComparisonRow]) -> str:
    """One line per compared figure, in the summary table's grid: Pairs = samples scored in
    both runs, Base/New = their means there, Δ = New − Base with its SE and 95% interval,
    p (``*`` after it: McNemar's exact test, else a t-test), Worse/Better = flips."""
    cells = [
        [
            row.dataset,
            row.metric,
            row.subset,
            str(row.n),
            format_score(row.base),
            format_score(row.new),
            f"{row.delta:+.4f}",
            "-" if row.se is None else f"{row.se:.4f}",
            "-"
            if row.ci_low is None or row.ci_high is None
            else f"{row.ci_low:+.3f} to {row.ci_high:+.3f}",
            _p_value(row),
            str(row.worse),
            str(row.better),
        ]
        for row in rows
    ]
    return grid(COLUMNS, cells, NUMERIC)


def _p_value(row: ComparisonRow) -> str:
    if row.p_value is None:
        return "-"
    text = f"{row.p_value:.4f}" if row.p_value >= 0.0001 else f"{row.p_value:.1e}"
    return text + ("*" if row.test == MCNEMAR else "")
