"""pytest hooks: options, collection of samples as items, the runtest wrappers, session end.

The glue knows which hook does what, and nothing of HTTP or of any benchmark's insides:
samples come from the runtime, the look-ahead says which items come next, calls go through
the prefetcher, records go to the controller.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from .benchmarks import REGISTRY, Benchmark
from .config import Endpoint, RunConfig, add_options, build_run_config
from .gc_pause import freeze_at_exit
from .lookahead import SAMPLE_ARG, LookAhead, deep_load_scheduling, sample_key, window
from .records import summary_data
from .reporting.baseline import RunError, read_run
from .reporting.compare import MaxDrop, parse_max_drop
from .reporting.controller import Controller, Gates, run_dir_path
from .reporting.gate import Threshold, parse_threshold
from .runner import Benchmarks, InputProblem, Runtime, SampleKey, SampleRun, WrongAnswer
from .shards import split

RUN_CONFIG = pytest.StashKey[RunConfig]()
BENCHMARKS = pytest.StashKey[Benchmarks]()
RUNTIME = pytest.StashKey[Runtime]()
LOOKAHEAD = pytest.StashKey[LookAhead]()
CONTROLLER = pytest.StashKey[Controller]()
SAMPLE_RUN = pytest.StashKey[SampleRun]()
PROGRESS = pytest.StashKey[Any]()
PART_FILE = pytest.StashKey[Any]()
GC_THRESHOLDS = pytest.StashKey[tuple[int, int, int]]()
ENDPOINTS_KEY = "llmeval_endpoints"
PARTS_KEY = "llmeval_parts"
USAGE_PREFIX = "pytest-llmeval: "


class UsageProblem(pytest.Collector.CollectError):
    """Bad input met while collecting: reported as one line and a usage-error exit."""

    def __init__(self, message: str) -> None:
        super().__init__(USAGE_PREFIX + message)


def pytest_addoption(parser: pytest.Parser) -> None:
    from .local.server import SERVE_OPTIONS

    add_options(parser)
    add_options(parser, SERVE_OPTIONS)
    add_options(parser, REGISTRY.options())
    known = {opt.flag for opt in REGISTRY.options()}

    def on_register(benchmark: type[Benchmark]) -> None:
        """A conftest benchmark's options join the parser before it parses the command line."""
        fresh = tuple(opt for opt in benchmark.options if opt.flag not in known)
        known.update(opt.flag for opt in fresh)
        add_options(parser, fresh)

    REGISTRY.on_register = on_register


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not _is_worker(config) and getattr(config.option, "dist", "no") != "no"


def _late_registration(benchmark: type[Benchmark]) -> None:
    """After start-up only a plain run can take a benchmark from a test module: an xdist
    controller would never see it."""
    if benchmark.options:
        raise InputProblem(
            f"benchmark {benchmark.name!r} declares options: register it in a conftest.py or "
            "through the pytest_llmeval.benchmarks entry point"
        )


def _late_registration_xdist(benchmark: type[Benchmark]) -> None:
    raise InputProblem(
        f"benchmark {benchmark.name!r} is registered in a test module, which the xdist "
        "controller never imports: register it in a conftest.py or through the "
        "pytest_llmeval.benchmarks entry point"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "llm_benchmark(name): parametrize this test with the benchmark's samples"
    )
    config.addinivalue_line(
        "markers", "llm(dataset, subset, category): set on every benchmark sample item"
    )
    run = build_run_config(config, REGISTRY.options())
    if _is_worker(config) and ENDPOINTS_KEY in config.workerinput:
        served = config.workerinput[ENDPOINTS_KEY]
        workers = config.workerinput.get("workercount", 1)
        run = replace(
            run,
            endpoint=_settled(run.endpoint, served["endpoint"]),
            judge=_settled(run.judge, served["judge"]),
            rate=run.rate / workers if run.rate else None,  # --llm-rate is the run's
        )
    config.stash[RUN_CONFIG] = run
    if not run.active:
        if run.thresholds:
            raise pytest.UsageError("--llm-threshold needs a model (--llm-model or --llm-serve)")
        if run.max_drops:
            raise pytest.UsageError("--llm-max-drop needs a model (--llm-model or --llm-serve)")
        return
    xdist = _is_worker(config) or _is_xdist_controller(config)
    REGISTRY.on_register = _late_registration_xdist if xdist else _late_registration
    if run.report_only:
        config.option.reportchars = ""  # the table is the report: no wall of FAILED lines
    if config.getoption("tbstyle") == "auto":
        # one line per wrong answer: pytest's long failure summary is quadratic in failures
        config.option.tbstyle = "no"
    benchmarks = config.stash[BENCHMARKS] = Benchmarks(run)
    if not _is_worker(config):
        _check_inputs(run)
        thresholds = [parse_threshold(text, benchmarks.figures) for text in run.thresholds]
        max_drops = [_max_drop(text, benchmarks) for text in run.max_drops]
        if max_drops and run.baseline is None:
            raise pytest.UsageError(
                "--llm-max-drop needs --llm-baseline (the run folder to compare with)"
            )
        try:
            baseline = read_run(run.baseline) if run.baseline is not None else None
        except RunError as error:
            raise pytest.UsageError(f"--llm-baseline {error}") from None
        _start_controller(config, run, thresholds, Gates(baseline, max_drops))


def _settled(endpoint: Endpoint, served: dict[str, Any]) -> Endpoint:
    return replace(endpoint, **{**served, "replicas": tuple(served["replicas"])})


def _check_inputs(run: RunConfig) -> None:
    """What can be known wrong before any call: one line each, a usage-error exit."""
    from .cache import CacheError, ResponseCache
    from .reporting.files import check_output

    unknown = sorted(set(run.data) - set(REGISTRY.names()))
    if unknown:
        raise pytest.UsageError(
            f"--llm-data {unknown[0]}=...: unknown benchmark {unknown[0]!r} "
            f"(known: {', '.join(REGISTRY.names())})"
        )
    try:
        check_output(run.output)
        if run.cache_path is not None:
            ResponseCache(run.cache_path).close()
    except (ValueError, CacheError) as error:
        raise pytest.UsageError(str(error)) from None


def _max_drop(text: str, benchmarks: Benchmarks) -> MaxDrop:
    """A --llm-max-drop spec with its metric and subset named, checked against the figures
    the benchmark reports (as --llm-threshold is)."""
    try:
        gate = parse_max_drop(text)
        metrics, subsets = benchmarks.figures(gate.dataset)
        return gate.resolve(metrics, subsets)
    except KeyError as error:
        raise pytest.UsageError(f"--llm-max-drop {text!r}: {error.args[0]}") from None
    except ValueError as error:
        message = error.args[0]
        prefix = "" if message.startswith("--llm-max-drop") else "--llm-max-drop "
        raise pytest.UsageError(prefix + message) from None


def _start_controller(
    config: pytest.Config, run: RunConfig, thresholds: list[Threshold], gates: Gates
) -> None:
    run_dir = run_dir_path(run.output, run.endpoint.model or (run.serve and run.serve.name))
    controller = Controller(config, run, run_dir, config.stash[BENCHMARKS], thresholds, gates)
    config.stash[CONTROLLER] = controller
    config.pluginmanager.register(controller, "llmeval-controller")
    if config.option.xmlpath:
        from .reporting.junit import JunitReport

        config.pluginmanager.register(JunitReport(controller), "llmeval-junit")
    if config.pluginmanager.hasplugin("html"):
        from .reporting.html import HtmlReport

        if not config.getoption("htmlpath"):
            config.option.htmlpath = str(run_dir / "report.html")
        html_path = Path(config.option.htmlpath)
        html = HtmlReport(lambda: controller.rows, html_path, run_dir / "viewer.html")
        config.pluginmanager.register(html, "llmeval-html")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Before any sample: serve the local model if asked and make sure the services answer,
    then build this process's runtime on the settled endpoints."""
    config = session.config
    run = config.stash.get(RUN_CONFIG, None)
    if run is None or not run.active:
        return
    if not _is_worker(config) and not config.option.collectonly:
        from .services import start_services

        controller = config.stash[CONTROLLER]
        run, left_out = start_services(config, run, controller.run_dir)
        config.stash[RUN_CONFIG] = run
        controller.settle(run, left_out)
    if not _is_xdist_controller(config):
        config.stash[RUNTIME] = Runtime(run, config.stash[BENCHMARKS])


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: workers use the endpoints the controller settled on (a served model, the base
    URLs that answered)."""
    run = node.config.stash[RUN_CONFIG]
    node.workerinput[ENDPOINTS_KEY] = {
        role: {
            "model": e.model,
            "base_url": e.base_url,
            "replicas": list(e.replicas),
            "scope": e.scope,
        }
        for role, e in (("endpoint", run.endpoint), ("judge", run.judge))
    }
    controller = node.config.stash.get(CONTROLLER, None)
    spec = getattr(getattr(node, "gateway", None), "spec", None)
    if controller is not None and getattr(spec, "popen", False) and not getattr(spec, "via", None):
        from .reporting.files import PARTS  # same machine: the worker writes its own records

        node.workerinput[PARTS_KEY] = str(controller.run_dir / PARTS)


# -- collection ------------------------------------------------------------------------------
_MARKER_NAME = re.compile(r"[^0-9a-zA-Z_]+")


def _marks(config: pytest.Config, cache: dict[str, list[Any]], sample: Any) -> list[Any]:
    """`llm(...)` plus plain markers named after the subset and category, for -m and -k."""
    subset = sample.subset
    if subset not in cache:
        names = [_MARKER_NAME.sub("_", n).strip("_") for n in (subset, sample.category)]
        for name in names:
            config.addinivalue_line("markers", f"{name}: benchmark subset or category")
        cache[subset] = [
            pytest.mark.llm(dataset=sample.dataset, subset=subset, category=sample.category),
            *(getattr(pytest.mark, name) for name in dict.fromkeys(names) if name),
        ]
    return cache[subset]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("llm_benchmark")
    if marker is None or SAMPLE_ARG not in metafunc.fixturenames:
        return
    name = marker.args[0] if marker.args else marker.kwargs.get("name")
    runtime = metafunc.config.stash.get(RUNTIME, None)
    if runtime is None:  # no model: one skipped item says why, the other tests still run
        skip = pytest.mark.skip(reason="no --llm-model given")
        metafunc.parametrize(SAMPLE_ARG, [pytest.param(None, id=str(name), marks=skip)])
        return
    try:
        samples = runtime.samples(name)
    except InputProblem as problem:
        raise UsageProblem(str(problem)) from None
    repeats = runtime.config.repeats
    cache: dict[str, list[Any]] = {}
    params = [
        pytest.param(
            SampleKey(sample, repeat),
            id=sample.id if repeats == 1 else f"{sample.id}-r{repeat}",
            marks=_marks(metafunc.config, cache, sample),
        )
        for sample in samples
        for repeat in range(repeats)
    ]
    metafunc.parametrize(SAMPLE_ARG, params)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """A usage problem met while collecting becomes one line and a usage-error exit."""
    report = yield
    text = str(report.longrepr) if report.failed else ""
    if text.startswith(USAGE_PREFIX):
        report.llm_usage_error = text.removeprefix(USAGE_PREFIX).strip()
    elif "InputProblem: " in text:  # raised while a test module was imported
        report.llm_usage_error = text.rsplit("InputProblem: ", 1)[1].splitlines()[0].strip()
    return report


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, items: list[pytest.Item]) -> None:
    config = session.config
    run = config.stash.get(RUN_CONFIG, None)
    if RUNTIME in config.stash and run is not None:
        if run.shard is not None:
            items[:], dropped = split(run.shard, items, sample_key)
            if dropped:
                config.hook.pytest_deselected(items=dropped)
        lookahead = config.stash[LOOKAHEAD] = LookAhead(session, items, window(run.concurrency))
        runtime = config.stash[RUNTIME]
        runtime.select(lookahead.keys())
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if run.progress_s and reporter is not None and not _is_worker(config):
            from .progress import ProgressLine

            capture = config.pluginmanager.get_plugin("capturemanager")

            def write(text: str) -> None:
                with capture.global_and_fixture_disabled():  # a test is waiting: show it
                    reporter.write_line(text)
                    reporter.flush()

            config.stash[PROGRESS] = ProgressLine(runtime.progress, write, run.progress_s)
        # Samples and items live until the end: keep the garbage collector from walking
        # them again at every collection (thousands of items, each with its conversation).
        gc.freeze()
        # What the run adds lasts too (pytest keeps every report, the controller every
        # record): a full collection after every 10 middle ones walks it all to free nothing.
        # After every 100, young garbage still goes at once (10,000 samples: GC 2.8 s → 1.7 s).
        young, middle, full = config.stash[GC_THRESHOLDS] = gc.get_threshold()
        gc.set_threshold(young, middle, max(full, 100))
        freeze_at_exit()


# -- running ---------------------------------------------------------------------------------
@pytest.fixture
def llm_eval(request: pytest.FixtureRequest, llm_sample: SampleKey) -> SampleRun:
    """The sample's run: its calls were made outside the test body (errors show as ERROR)."""
    config = request.config
    item = request.node
    upcoming = config.stash[LOOKAHEAD].after(item)
    runtime = config.stash[RUNTIME]
    line = config.stash.get(PROGRESS, None)
    waiting = line.tick if line is not None else None
    every = min(config.stash[RUN_CONFIG].progress_s, 1.0) or 1.0
    run = runtime.prefetcher.result(item.nodeid, llm_sample, upcoming, waiting, every)
    if runtime.stop_reason is not None:
        request.session.shouldstop = f"pytest-llmeval stopped the run: {runtime.stop_reason}"
        if run.error_kind == "stopped":
            pytest.skip("the run was stopped")
    item.stash[SAMPLE_RUN] = run
    if run.error is not None and not config.stash[RUN_CONFIG].ignore_errors:  # redacted
        pytest.fail(f"{run.error_kind} error: {run.error}", pytrace=False)
    return run


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A wrong answer is one line, no traceback, raised outside the handler: with no chained
    exception pytest walks one traceback to format it, not two (half the cost of a failure)."""
    try:
        return (yield)
    except WrongAnswer as wrong:
        failure = pytest.fail.Exception(
            item.config.stash[RUNTIME].redactor.text(str(wrong)), pytrace=False
        )
    raise failure


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Attach the sample's record (plain data) to the report that decides its outcome."""
    if call.excinfo is not None:
        _keep_raising_frame(call.excinfo)
    report = yield
    run = item.stash.get(SAMPLE_RUN, None)
    if run is not None and (call.when == "call" or (call.when == "setup" and report.failed)):
        del item.stash[SAMPLE_RUN]  # items live to the end; their conversations need not
        report.llm_record = record = item.config.stash[RUNTIME].record(run, item.nodeid)
        part = _part_file(item.config)
        if part is not None:  # the full record to our own file, its summary on the wire
            part.append(record)
            report.llm_record = summary_data(record)
            report.llm_record_written = True
        if item.config.option.xmlpath:  # on the teardown report, which pytest's XML reads
            from .reporting.junit import sample_properties

            item.user_properties.extend(sample_properties(record))
    return report


def _keep_raising_frame(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """A failure without a traceback (`pytrace=False`) is reported as its message and the
    frame that raised it: pytest still filters its whole traceback, a stat per frame and pass,
    which cost more than the rest of a wrong answer's item. Keep only what the report shows."""
    if isinstance(excinfo.value, pytest.fail.Exception) and not excinfo.value.pytrace:
        traceback = excinfo.traceback
        for start in range(len(traceback) - 1, -1, -1):
            if not traceback[start].ishidden(excinfo):
                excinfo.traceback = traceback[start:]
                return


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist load` (what `-n` picks) with every worker's queue two look-ahead windows deep,
    so that its calls in flight stay at --llm-concurrency to the end."""
    run = config.stash[RUN_CONFIG]
    if run.active and config.getvalue("dist") == "load":
        return deep_load_scheduling(config, log, depth=2 * window(run.concurrency))
    return None


def _part_file(config: pytest.Config) -> Any:
    """A local xdist worker's part file of samples.jsonl (None elsewhere), opened on first use."""
    if PART_FILE not in config.stash:
        folder = getattr(config, "workerinput", {}).get(PARTS_KEY)
        part = None
        if folder is not None:
            from .reporting.files import SamplesFile

            part = SamplesFile(Path(folder) / f"samples.{config.workerinput['workerid']}.jsonl")
        config.stash[PART_FILE] = part
    return config.stash[PART_FILE]


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Hand this process's data sources and endpoint figures to the controller (xdist:
    through workeroutput)."""
    config = session.config
    runtime = config.stash.get(RUNTIME, None)
    if runtime is None:
        return
    if _is_worker(config):
        config.workeroutput["llmeval_sources"] = runtime.sources
        config.workeroutput["llmeval_endpoints"] = runtime.endpoint_stats()
        part = config.stash.get(PART_FILE, None)
        if part is not None:
            part.close()
    elif CONTROLLER in config.stash:
        config.stash[CONTROLLER].sources.update(runtime.sources)
        config.stash[CONTROLLER].add_endpoint_stats(runtime.endpoint_stats())


def pytest_unconfigure(config: pytest.Config) -> None:
    REGISTRY.on_register = None
    if GC_THRESHOLDS in config.stash:
        gc.set_threshold(*config.stash[GC_THRESHOLDS])
    runtime = config.stash.get(RUNTIME, None)
    if runtime is not None:
        runtime.close()
    from .services import stop_services

    stop_services(config)
