"""pytest hooks: options, collection of samples as items, the runtest wrappers, session end.

The glue knows which hook does what, and nothing of HTTP or of any benchmark's insides:
samples come from the runtime, calls go through the prefetcher, records go to the controller.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from .config import RunConfig, add_options, build_run_config
from .controller import Controller, new_run_dir
from .runner import SAMPLE_ARG, Runtime, SampleKey, SampleRun, UsageProblem, build_record

RUN_CONFIG = pytest.StashKey[RunConfig]()
RUNTIME = pytest.StashKey[Runtime]()
CONTROLLER = pytest.StashKey[Controller]()
SAMPLE_RUN = pytest.StashKey[SampleRun]()
ENDPOINTS_KEY = "llmeval_endpoints"


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not _is_worker(config) and getattr(config.option, "dist", "no") != "no"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "llm_benchmark(name): parametrize this test with the benchmark's samples"
    )
    config.addinivalue_line(
        "markers", "llm(dataset, subset, category): set on every benchmark sample item"
    )
    run = build_run_config(config)
    if _is_worker(config) and ENDPOINTS_KEY in config.workerinput:
        served = config.workerinput[ENDPOINTS_KEY]
        run = replace(
            run,
            target=replace(run.target, **served["target"]),
            judge=replace(run.judge, **served["judge"]),
        )
    config.stash[RUN_CONFIG] = run
    if not run.active:
        if run.thresholds:
            raise pytest.UsageError("--llm-threshold needs a model (--llm-model or --llm-serve)")
        return
    if config.getoption("tbstyle") == "auto":
        # one line per wrong answer: pytest's long failure summary is quadratic in failures
        config.option.tbstyle = "no"
    if not _is_xdist_controller(config):
        config.stash[RUNTIME] = Runtime(run)
    if not _is_worker(config):
        _start_controller(config, run)


def _start_controller(config: pytest.Config, run: RunConfig) -> None:
    run_dir = new_run_dir(run.output, run.target.model or (run.serve and run.serve.model))
    controller = Controller(config, run, run_dir)
    config.stash[CONTROLLER] = controller
    config.pluginmanager.register(controller, "llmeval-controller")
    if config.pluginmanager.hasplugin("html"):
        from .html import HtmlReport

        if not config.getoption("htmlpath"):
            config.option.htmlpath = str(run_dir / "report.html")
        config.pluginmanager.register(HtmlReport(lambda: controller.rows), "llmeval-html")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Before any sample: serve the local model if asked, then make sure the services answer."""
    config = session.config
    run = config.stash.get(RUN_CONFIG, None)
    if run is None or not run.active or _is_worker(config) or config.option.collectonly:
        return
    from .services import start_services

    controller = config.stash[CONTROLLER]
    run = start_services(config, run, controller.run_dir)
    config.stash[RUN_CONFIG] = controller.run = run
    if RUNTIME in config.stash:
        config.stash[RUNTIME].config = run


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: workers use the endpoints the controller settled on (e.g. a served model)."""
    run = node.config.stash[RUN_CONFIG]
    node.workerinput[ENDPOINTS_KEY] = {
        "target": {"model": run.target.model, "base_url": run.target.base_url},
        "judge": {"model": run.judge.model, "base_url": run.judge.base_url},
    }


# -- collection ------------------------------------------------------------------------------
_MARKER_NAME = re.compile(r"[^0-9a-zA-Z_]+")


def _marks(
    config: pytest.Config, cache: dict[str, list[Any]], dataset: str, subset: str, category: str
) -> list[Any]:
    """`llm(...)` plus plain markers named after the subset and category, for -m and -k."""
    if subset not in cache:
        names = [_MARKER_NAME.sub("_", n).strip("_") for n in (subset, category)]
        for name in names:
            config.addinivalue_line("markers", f"{name}: benchmark subset or category")
        cache[subset] = [
            pytest.mark.llm(dataset=dataset, subset=subset, category=category),
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
    samples = runtime.samples(name)  # UsageProblem: reported by pytest_make_collect_report
    benchmark = runtime.benchmark(name)
    repeats = runtime.config.repeats
    cache: dict[str, list[Any]] = {}
    params = [
        pytest.param(
            SampleKey(sample, repeat),
            id=sample.id if repeats == 1 else f"{sample.id}-r{repeat}",
            marks=_marks(
                metafunc.config, cache, name, sample.subset, benchmark.category(sample.subset)
            ),
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
    if text.startswith(UsageProblem.prefix):
        report.llm_usage_error = text.removeprefix(UsageProblem.prefix).strip()
    return report


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, items: list[pytest.Item]) -> None:
    runtime = session.config.stash.get(RUNTIME, None)
    if runtime is not None:
        runtime.set_order([item for item in items if _key(item) is not None])
        # Samples and items live until the end: keep the garbage collector from walking
        # them again at every collection (thousands of items, each with its conversation).
        gc.freeze()


# -- running ---------------------------------------------------------------------------------
def _key(item: pytest.Item) -> SampleKey | None:
    callspec = getattr(item, "callspec", None)
    value = callspec.params.get(SAMPLE_ARG) if callspec is not None else None
    return value if isinstance(value, SampleKey) else None


def _upcoming(
    session: pytest.Session, item: pytest.Item, runtime: Runtime
) -> Iterator[tuple[str, SampleKey]]:
    for next_item in runtime.upcoming(session, item):
        key = _key(next_item)
        if key is not None:
            yield next_item.nodeid, key


@pytest.fixture
def llm_eval(request: pytest.FixtureRequest, llm_sample: SampleKey) -> SampleRun:
    """The sample's run: its calls were made outside the test body (errors show as ERROR)."""
    runtime = request.config.stash[RUNTIME]
    item = request.node
    run = runtime.sample_run(item.nodeid, llm_sample, _upcoming(request.session, item, runtime))
    item.stash[SAMPLE_RUN] = run
    if run.error is not None and not runtime.config.ignore_errors:
        pytest.fail(f"{run.error_kind} error: {run.error}", pytrace=False)
    return run


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Attach the sample's record (plain data) to the report that decides its outcome."""
    report = yield
    run = item.stash.get(SAMPLE_RUN, None)
    if run is not None and (call.when == "call" or (call.when == "setup" and report.failed)):
        del item.stash[SAMPLE_RUN]  # items live to the end; their conversations need not
        try:
            record = build_record(run, item.nodeid)
        except Exception as error:
            run.fail(f"scorer crashed: {error!r}", "scorer")
            record = build_record(run, item.nodeid)
        report.llm_record = record
        if item.config.pluginmanager.hasplugin("html"):
            from pytest_html import extras

            from .html import sample_extra_html

            report.extras = [*getattr(report, "extras", []), extras.html(sample_extra_html(record))]
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Hand this process's data sources to the controller (xdist: through workeroutput)."""
    config = session.config
    runtime = config.stash.get(RUNTIME, None)
    if runtime is None:
        return
    if _is_worker(config):
        config.workeroutput["llmeval_sources"] = runtime.sources
    elif CONTROLLER in config.stash:
        config.stash[CONTROLLER].sources.update(runtime.sources)


def pytest_unconfigure(config: pytest.Config) -> None:
    runtime = config.stash.get(RUNTIME, None)
    if runtime is not None:
        runtime.close()
    from .services import stop_services

    stop_services(config)
