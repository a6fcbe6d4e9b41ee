"""The process that sees every test report: records in, table, files and exit status out.

In a plain run that is the only process; under xdist it is the controller, which runs no test
and receives each worker's reports (with their `llm_record`) through pytest_runtest_logreport.
Records are appended to samples.jsonl as they arrive, so an interrupted run keeps them. Workers
on this machine write their full records to part files themselves and send only the summary
(the controller of two workers would otherwise spend more on the traffic than they on the
tests); the part files join samples.jsonl at the end.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pytest

from ..benchmarks import RegistryError
from ..config import RunConfig, mask_secrets
from ..records import Row, SampleRecord, plain, summary_data
from .baseline import Comparison, FinishedRun, compare_runs
from .compare import MaxDrop
from .files import PARTS, SamplesFile, run_dir_path, write_reports
from .gate import Threshold, ThresholdCheck, check_thresholds, error_counts
from .rows import build_rows, endpoint_summary, usage_summary
from .table import endpoint_lines, format_table, usage_lines

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from ..benchmarks.base import Benchmark
    from ..runner import Benchmarks

__all__ = ["Controller", "Gates", "run_dir_path"]


def partial_run(
    sources: dict[str, dict[str, Any]], records: list[SampleRecord]
) -> dict[str, dict[str, dict[str, int]]]:
    """Per dataset, the subsets whose selected samples did not all run (an interrupted run):
    {dataset: {subset: {"ran": k, "selected": n}}}."""
    ran: dict[tuple[str, str], int] = {}
    for record in records:
        ran[record.dataset, record.subset] = ran.get((record.dataset, record.subset), 0) + 1
    partial: dict[str, dict[str, dict[str, int]]] = {}
    for dataset, source in sorted(sources.items()):
        for subset, selected in source.get("selected", {}).items():
            done = ran.get((dataset, subset), 0)
            if done < selected:
                partial.setdefault(dataset, {})[subset] = {"ran": done, "selected": selected}
    return partial


def partial_lines(partial: dict[str, dict[str, dict[str, int]]]) -> list[str]:
    lines = []
    for dataset, subsets in partial.items():
        missing = [s for s, n in subsets.items() if n["ran"] == 0]
        short = ", ".join(f"{s} {n['ran']}/{n['selected']}" for s, n in subsets.items())
        lines.append(
            f"PARTIAL RUN: {dataset}: {len(missing)} subsets did not run, "
            f"{len(subsets)} are incomplete ({short}); its OVERALL and official rows cover "
            "only what ran"
        )
    return lines


def plugin_version() -> str:
    try:
        return metadata.version("pytest-llmeval")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class Gates:
    """The comparison with a baseline run (--llm-baseline) and its max-drop gates, resolved
    and read at start."""

    baseline: FinishedRun | None = None
    max_drops: list[MaxDrop] = field(default_factory=list)


class Controller:
    """Aggregates records into the table, writes report files and applies the gates."""

    def __init__(
        self,
        config: pytest.Config,
        run_config: RunConfig,
        run_dir: Path,
        benchmarks: Benchmarks,
        thresholds: list[Threshold],
        gates: Gates | None = None,
    ) -> None:
        self.pytest_config = config
        self.run_config = run_config
        self.run_dir = run_dir
        self.benchmarks = benchmarks
        self.thresholds = thresholds
        self.gates = gates or Gates()
        self.comparison: Comparison | None = None
        self.records: list[SampleRecord] = []
        self.sources: dict[str, dict[str, Any]] = {}
        self.rows: list[Row] = []
        self.gate_lines: list[str] | None = None
        self.threshold_checks: list[ThresholdCheck] = []
        self.usage_problems: list[str] = []
        self.collect_errors: list[str] = []
        self.other_failures = 0
        self.started = time.time()
        self._samples = SamplesFile(run_dir / "samples.jsonl")
        self.partial: dict[str, dict[str, dict[str, int]]] = {}
        self.viewer: Path | None = None
        self.viewer_problem: str | None = None
        self.endpoints: dict[str, list[dict[str, Any]]] = {}
        """Per role, each process's figures per base URL (merged in `endpoint_summary`)."""
        self.left_out: list[str] = []

    def settle(self, run_config: RunConfig, left_out: Sequence[str] = ()) -> None:
        """The endpoints as served and probed at session start (what report.json records),
        and why any base URL was left out."""
        self.run_config = run_config
        self.left_out = list(left_out)

    def add_endpoint_stats(self, stats: dict[str, list[dict[str, Any]]]) -> None:
        for role, lanes in stats.items():
            self.endpoints.setdefault(role, []).extend(lanes)

    # -- reports arriving --------------------------------------------------------------------
    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "llm_record", None)
        if data is not None and getattr(report, "llm_record_written", False):
            self.records.append(SampleRecord.from_dict(data))  # a local worker's summary
        elif data is not None:
            self._samples.append(data)
            # The full record now lives in samples.jsonl; the table needs only the figures, and
            # pytest keeps every report until the end (conversations can be megabytes).
            report.llm_record = summary = summary_data(data)
            self.records.append(SampleRecord.from_dict(summary))
        elif report.failed:
            self.other_failures += 1

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        problem = getattr(report, "llm_usage_error", None)
        if problem and problem not in self.usage_problems:
            self.usage_problems.append(problem)
        elif report.failed:
            # the plugin sets --tb=no, which would hide why a module failed to import
            self.collect_errors.append(f"{report.nodeid}: {report.longrepr}")

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", {})
        self.sources.update(output.get("llmeval_sources", {}))
        self.add_endpoint_stats(output.get("llmeval_endpoints", {}))

    # -- the end -----------------------------------------------------------------------------
    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._samples.absorb(self.run_dir / PARTS)
        model = self.run_config.endpoint.model or "model"
        self.rows = build_rows(model, self.records, self.benchmarks)
        if self.gates.baseline is not None and self.records:
            self._compare(self.gates.baseline)
        if self.thresholds or self.gates.max_drops:
            self.threshold_checks = check_thresholds(
                self.thresholds,
                self.rows,
                error_counts(self.records),
                self.run_config.max_error_rate,
            )
            self.gate_lines = [check.message for check in self.threshold_checks if check.failed]
            if self.comparison is not None:
                self.gate_lines += self.comparison.failures
            elif not self.records:
                self.gate_lines += [
                    f"{gate.text}: not compared (no sample of this run was recorded)"
                    for gate in self.gates.max_drops
                ]
        session.exitstatus = self._exit_status(session.exitstatus)
        self.partial = partial_run(self.sources, self.records)
        selected = any(source.get("selected") for source in self.sources.values())
        shard = self.run_config.shard is not None and bool(self.sources)  # maybe none of it
        if self.records or self.usage_problems or selected or shard:
            self._samples.touch()  # an interrupted run still has its (maybe empty) records
            comparison = self.comparison.to_dict() if self.comparison is not None else None
            write_reports(self.run_dir, self.rows, self._meta(session.exitstatus), comparison)
            self._write_viewer()

    def _write_viewer(self) -> None:
        """viewer.html beside report.html; a page that cannot be written costs the run nothing."""
        from .viewer import write_viewer

        try:
            self.viewer = write_viewer([self.run_dir], self.run_dir / "viewer.html")
        except Exception as error:  # the report files are written: say why and go on
            self.viewer_problem = f"viewer.html not written: {error!r}"

    def _compare(self, baseline: FinishedRun) -> None:
        """This run against the baseline; no sample in common (or a baseline that cannot
        pair) is a usage error, one line."""
        try:
            self.comparison = compare_runs(
                baseline,
                self.records,
                self._meta(pytest.ExitCode.OK),
                self._benchmark,
                self.gates.max_drops,
            )
        except ValueError as error:  # NoOverlapError among them
            self.usage_problems.append(f"--llm-baseline {baseline.path}: {error}")

    def _benchmark(self, name: str) -> Benchmark | None:
        try:
            return self.benchmarks.get(name)
        except RegistryError:
            return None  # a baseline's dataset this session does not know: plain means

    def notices(self) -> list[str]:
        """What the benchmarks that ran say about weakened settings, one line each."""
        lines = []
        for dataset in sorted({record.dataset for record in self.records}):
            try:
                said = self.benchmarks.get(dataset).notices()
            except RegistryError:  # reported where it was asked for
                continue
            lines += [f"{dataset}: {line}" for line in said]
        return lines

    def _exit_status(self, status: int | pytest.ExitCode) -> int | pytest.ExitCode:
        if self.usage_problems:
            return pytest.ExitCode.USAGE_ERROR
        if status == pytest.ExitCode.NO_TESTS_COLLECTED and self.run_config.shard is not None:
            return pytest.ExitCode.OK  # a small run can leave a shard nothing: its share
        if status in (
            pytest.ExitCode.INTERRUPTED,
            pytest.ExitCode.INTERNAL_ERROR,
            pytest.ExitCode.USAGE_ERROR,
        ):
            return status
        if self.other_failures:
            return status  # a test that is not a sample failed: plain pytest semantics
        if self.gate_lines is None:
            if self.run_config.report_only and self.records:
                return pytest.ExitCode.OK  # the evaluation ran; the table says how well
            return status  # plain pytest semantics: any wrong answer is a failed test
        return pytest.ExitCode.TESTS_FAILED if self.gate_lines else pytest.ExitCode.OK

    def _meta(self, status: int | pytest.ExitCode) -> dict[str, Any]:
        return {
            "model": self.run_config.endpoint.public(),
            "judge": self.run_config.judge.public() if self.run_config.judge.model else None,
            "plugin_version": plugin_version(),
            "datasets": self.sources,
            "usage": usage_summary(self.records),
            "endpoints": endpoint_summary(self.endpoints),
            "endpoints_left_out": self.left_out,
            "limit": self.run_config.limit,
            "shard": self.run_config.shard.to_dict() if self.run_config.shard else None,
            "repeats": self.run_config.repeats,
            "options": plain(self.run_config.benchmark_options),
            "started": dt.datetime.fromtimestamp(self.started, dt.UTC).isoformat(),
            "finished": dt.datetime.now(dt.UTC).isoformat(),
            "wall_s": round(time.time() - self.started, 3),
            "command": self._command(),
            "partial": self.partial,
            "thresholds": [t.text for t in self.thresholds],
            "max_error_rate": self.run_config.max_error_rate,
            "baseline": None if self.gates.baseline is None else str(self.gates.baseline.path),
            "max_drops": [gate.text for gate in self.gates.max_drops],
            "gate_shortfalls": self.gate_lines,
            "usage_errors": self.usage_problems,
            "notices": self.notices(),
            "exit_status": int(status),
        }

    def _command(self) -> list[str]:
        """The arguments pytest was given (sys.argv is another program's under pytest.main)."""
        return ["pytest", *mask_secrets(list(self.pytest_config.invocation_params.args))]

    @pytest.hookimpl
    def pytest_unconfigure(self) -> None:
        """A run stopped before anything was written (a usage error) leaves no folder behind;
        pytest-html's stylesheet alone does not count."""
        if self.run_dir.is_dir() and all(p.name == "assets" for p in self.run_dir.iterdir()):
            shutil.rmtree(self.run_dir)

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        write = terminalreporter.write_line
        for problem in self.usage_problems:
            terminalreporter.write_line(f"pytest-llmeval: {problem}", red=True, bold=True)
        if self.collect_errors and terminalreporter.config.option.tbstyle == "no":
            terminalreporter.write_sep("=", "collection errors")
            for text in self.collect_errors:
                terminalreporter.write_line(text, red=True)
        if not self.records and not self.partial:
            self._write_gate(terminalreporter)
            return
        terminalreporter.write_sep("=", f"pytest-llmeval: {self.run_config.endpoint.model}")
        write(format_table(self.rows))
        for line in partial_lines(self.partial):
            terminalreporter.write_line(line, yellow=True, bold=True)
        for line in usage_lines(usage_summary(self.records)):
            write(line)
        for line in endpoint_lines(endpoint_summary(self.endpoints)):
            write(line)
        write(f"wall time {time.time() - self.started:.1f}s; reports in {self.run_dir}")
        for line in self.notices():
            terminalreporter.write_line(f"pytest-llmeval WARNING: {line}", yellow=True, bold=True)
        if self.viewer is not None:
            write(f"open the results: {self.viewer.resolve().as_uri()}")
        elif self.viewer_problem:
            terminalreporter.write_line(self.viewer_problem, yellow=True)
        if self.comparison is not None:
            self._write_comparison(terminalreporter, self.comparison)
        self._write_gate(terminalreporter)

    def _write_gate(self, terminalreporter: Any) -> None:
        if self.gate_lines is not None:
            if self.gate_lines:
                terminalreporter.write_line("gate FAILED:", red=True, bold=True)
                for line in self.gate_lines:
                    terminalreporter.write_line(f"  {line}", red=True)
            else:
                counts = [f"{len(self.thresholds)} thresholds"] if self.thresholds else []
                if self.gates.max_drops:
                    counts.append(f"{len(self.gates.max_drops)} max-drops")
                terminalreporter.write_line(f"gate passed ({', '.join(counts)})", green=True)

    def _write_comparison(self, terminalreporter: Any, comparison: Comparison) -> None:
        title = f"pytest-llmeval: against the baseline {comparison.baseline}"
        terminalreporter.write_sep("=", title)
        if comparison.warning:
            terminalreporter.write_line(f"warning: {comparison.warning}", yellow=True, bold=True)
        for line in comparison.lines():
            terminalreporter.write_line(line)
        for check in comparison.checks:
            if not check.failed:  # failing gates are listed with the other shortfalls
                terminalreporter.write_line(f"max-drop {check.gate.text}: {check.message}")
