"""Command-line and ini options, turned once into a frozen RunConfig.

Every option has a CLI flag, an ini key of the same name (``llm_model`` for ``--llm-model``) and,
for endpoints and secrets, an environment fallback. Precedence: CLI, ini, environment, default.
Secrets are kept out of ``repr`` and out of everything written to disk.
"""

from __future__ import annotations

import json
import math
import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .shards import Shard, parse_shard

if TYPE_CHECKING:
    from .local.server import ServerSettings

GENERATION_OPTIONS: dict[str, Callable[[str], Any]] = {
    "temperature": float,
    "top_p": float,
    "top_k": int,
    "repetition_penalty": float,
    "max_tokens": int,
    "seed": int,
    "parallel_tool_calls": lambda text: _parse_bool(text, "llm_parallel_tool_calls"),
}
"""Generation settings the seed uses; `top_k` and `repetition_penalty` travel in the body."""


@dataclass(frozen=True)
class Endpoint:
    """Where one model answers: the model under test or the judge."""

    model: str | None
    base_url: str | None
    api_key: str | None = field(default=None, repr=False)
    generation: dict[str, Any] = field(default_factory=dict)
    scope: str | None = None
    """What the response cache keys on besides the model and the request: the base URLs by
    default; a served local model's file, so a new port does not lose the cache."""
    replicas: tuple[str, ...] = ()
    """Further base URLs serving the same model (data-parallel replicas), after `base_url`."""

    @property
    def base_urls(self) -> tuple[str, ...]:
        return (self.base_url, *self.replicas) if self.base_url else ()

    @property
    def cache_scope(self) -> str:
        """The sorted set of base URLs, so no replica and no order changes the key; one URL
        is spelled as the SDK spells it, as older caches have it."""
        if self.scope:
            return self.scope
        urls = self.base_urls or ("",)
        return " ".join(sorted({url.rstrip("/") + "/" for url in urls}))

    def at(self, base_url: str) -> Endpoint:
        """This endpoint at one of its URLs, caching under the scope of all of them."""
        return replace(self, base_url=base_url, replicas=(), scope=self.cache_scope)

    def public(self) -> dict[str, Any]:
        """What may be shown or stored: everything but the key."""
        shown = {
            "model": self.model,
            "base_url": self.base_url,
            "api_key": "***" if self.api_key else None,
            "generation": self.generation,
        }
        if self.replicas:
            shown["base_urls"] = list(self.base_urls)
        return shown


@dataclass(frozen=True)
class RunConfig:
    """Everything a benchmark run needs, fixed at configure time."""

    endpoint: Endpoint
    """The model under test."""
    judge: Endpoint
    limit: int | None = None
    shard: Shard | None = None
    """--llm-shard: the slice of the items this run keeps (merge the shards' folders after)."""
    repeats: int = 1
    timeout: float = 600.0
    retries: int = 5
    stream: bool = False
    ignore_errors: bool = False
    concurrency: int = 32
    """The ceiling of calls in flight per process; each endpoint's own limit adapts under it."""
    rate: float | None = None
    """--llm-rate: at most this many requests per second per model (None: no cap)."""
    report_only: bool = False
    progress_s: float = 10.0
    output: Path = Path("llmeval_results")
    data: dict[str, str] = field(default_factory=dict)
    cache_path: Path | None = Path(".llmeval_cache/responses.sqlite3")
    thresholds: tuple[str, ...] = ()
    max_error_rate: float = 0.0
    max_consecutive_errors: int = 10
    baseline: Path | None = None
    """--llm-baseline: the run folder (or report.json) to compare this run with."""
    max_drops: tuple[str, ...] = ()
    benchmark_options: dict[str, Any] = field(default_factory=dict)
    """Values of the options benchmarks declare, by dest (``llm_bfcl_mode``), parsed."""
    serve: ServerSettings | None = None
    serve_judge: bool = False
    sample_header: bool = False

    @property
    def active(self) -> bool:
        """A benchmark run needs a model (or a local server that provides one)."""
        return bool(self.endpoint.model) or self.serve is not None


@dataclass(frozen=True)
class Option:
    """One setting: a CLI flag, an ini key of the same name and, for some, an environment
    variable. Benchmarks declare theirs with the same type (see Benchmark.options)."""

    flag: str
    help: str
    default: Any = None
    kind: str = "string"  # string | bool | list
    env: str | None = None
    parse: Callable[[Any, str], Any] | None = None
    """Turns the raw text into its value, raising pytest.UsageError with one line."""

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def secret(self) -> bool:
        return self.dest.endswith("api_key")


OPTIONS: tuple[Option, ...] = (
    Option("--llm-model", "model name to evaluate (enables the benchmark items)", env="LLM_MODEL"),
    Option(
        "--llm-base-url",
        "OpenAI-compatible base URL; repeat it for replicas of the same model",
        kind="list",
        env="OPENAI_BASE_URL",
    ),
    Option(
        "--llm-api-key", "API key (default: $OPENAI_API_KEY; never printed)", env="OPENAI_API_KEY"
    ),
    Option("--llm-temperature", "sampling temperature"),
    Option("--llm-top-p", "nucleus sampling top_p"),
    Option("--llm-top-k", "top_k (sent in the request body)"),
    Option("--llm-repetition-penalty", "repetition_penalty (sent in the request body)"),
    Option("--llm-max-tokens", "max tokens per answer"),
    Option("--llm-seed", "sampling seed"),
    Option("--llm-parallel-tool-calls", "true/false: allow several tool calls per answer"),
    Option("--llm-extra-body", "KEY=JSON extra request field, repeatable", kind="list"),
    Option("--llm-limit", "at most N samples per subset (the seed's `limit`)"),
    Option("--llm-shard", "I/N: run only shard I (0-based) of N, by a stable hash of each item"),
    Option("--llm-repeats", "sample each item N times (pass@k)", default="1"),
    Option("--llm-timeout", "seconds per request", default="600"),
    Option("--llm-retries", "retries on 429/5xx/timeouts/connection errors", default="5"),
    Option("--llm-stream", "stream responses", kind="bool"),
    Option("--llm-ignore-errors", "score failed calls as 0 (counted in Errors)", kind="bool"),
    Option(
        "--llm-report-only",
        "exit 0 once the evaluation ran: wrong answers and failed calls are reported, not failed",
        kind="bool",
    ),
    Option(
        "--llm-sample-header",
        "send X-LLMEval-Sample: DATASET/ID/rREPEAT with each call (to match server logs)",
        kind="bool",
    ),
    Option(
        "--llm-concurrency",
        "requests in flight per process at most (shrinks on 429/503, grows back)",
        default="32",
    ),
    Option("--llm-rate", "at most R requests per second per model, per run (0: no cap)"),
    Option("--llm-progress", "seconds between progress lines (0: none)", default="10"),
    Option(
        "--llm-output", "folder for run reports (one sub-folder per run)", default="llmeval_results"
    ),
    Option("--llm-data", "NAME=PATH: read a benchmark's data from local files", kind="list"),
    Option("--llm-cache", "response cache file", default=".llmeval_cache/responses.sqlite3"),
    Option("--llm-no-cache", "do not read or write the response cache", kind="bool"),
    Option("--llm-threshold", "gate: DATASET[:METRIC][:SUBSET]=MIN, repeatable", kind="list"),
    Option("--llm-max-error-rate", "gate: tolerated share of failed calls", default="0"),
    Option(
        "--llm-max-consecutive-errors",
        "stop the run after N samples in a row fail with the same error (0: never)",
        default="10",
    ),
    Option(
        "--llm-baseline",
        "compare with a previous run (its folder or report.json), paired by sample",
    ),
    Option(
        "--llm-max-drop",
        "gate: DATASET[:METRIC][:SUBSET]=MARGIN, fail when new - baseline is below -MARGIN "
        "beyond noise (needs --llm-baseline), repeatable",
        kind="list",
    ),
    Option("--llm-judge-model", "judge model for SimpleQA-style benchmarks", env="LLM_JUDGE_MODEL"),
    Option(
        "--llm-judge-base-url",
        "judge base URL, repeatable (default: --llm-base-url)",
        kind="list",
    ),
    Option(
        "--llm-judge-api-key",
        "judge API key (default: $LLM_JUDGE_API_KEY, then the model's)",
        env="LLM_JUDGE_API_KEY",
    ),
    Option("--llm-judge-temperature", "judge temperature", default="0"),
    Option("--llm-judge-max-tokens", "judge max tokens", default="4096"),
)


def add_options(parser: pytest.Parser, options: tuple[Option, ...] = OPTIONS) -> None:
    group = parser.getgroup("llmeval", "LLM evaluation (pytest-llmeval)")
    for opt in options:
        if opt.kind == "bool":
            group.addoption(
                opt.flag, action="store_true", default=None, dest=opt.dest, help=opt.help
            )
            parser.addini(opt.dest, opt.help, type="bool", default=False)
        elif opt.kind == "list":
            group.addoption(opt.flag, action="append", default=None, dest=opt.dest, help=opt.help)
            parser.addini(opt.dest, opt.help, type="linelist", default=[])
        else:
            group.addoption(opt.flag, default=None, dest=opt.dest, help=opt.help)
            if opt.secret:
                continue  # secrets do not belong in checked-in ini files
            parser.addini(opt.dest, opt.help, default=None)


def read_option(config: pytest.Config, opt: Option) -> Any:
    """CLI, then ini, then environment, then the default; keys never from ini."""
    value = config.getoption(opt.dest)
    if value is not None:
        return value
    if not opt.secret:
        ini = config.getini(opt.dest)
        if ini not in (None, "", []) and not (opt.kind == "bool" and ini is False):
            return ini
    if opt.env and os.environ.get(opt.env):
        return os.environ[opt.env]
    if opt.kind == "list":
        return []
    if opt.kind == "bool":
        return False
    return opt.default


def _keep(value: Any, flag: str) -> Any:
    return value


def parse_bool(text: str | bool | None, flag: str) -> bool | None:
    """true/false as users type it; None stays None (not given)."""
    if text is None:
        return None
    return _parse_bool(text, flag.lstrip("-").replace("-", "_"))


def parse_choice(*choices: str) -> Callable[[Any, str], str]:
    def parse(value: Any, flag: str) -> str:
        text = str(value).lower()
        if text not in choices:
            raise pytest.UsageError(f"{flag}: expected {' or '.join(choices)}, got {value!r}")
        return text

    return parse


def _parse_bool(text: str | bool, name: str) -> bool:
    if isinstance(text, bool):
        return text
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise pytest.UsageError(f"--{name.replace('_', '-')}: expected true or false, got {text!r}")


def _number(value: Any, name: str, kind: Callable[[str], Any], minimum: float | None = None) -> Any:
    if value is None:
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"--{name}: expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise pytest.UsageError(f"--{name}: expected a finite number, got {value!r}")
    if minimum is not None and number < minimum:
        raise pytest.UsageError(f"--{name}: must be >= {minimum}, got {value!r}")
    return number


def _base_urls(value: str | list[str], dest: str) -> tuple[str, ...]:
    """One URL (the environment) or several (the flag repeated, ini lines), checked, each
    once, in the order given."""
    urls = [value] if isinstance(value, str) else value
    for url in urls:
        _check_url(url, dest)
    return tuple(dict.fromkeys(urls))


def _check_url(value: str, dest: str) -> None:
    try:
        parts = urllib.parse.urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        flag = "--" + dest.replace("_", "-")
        raise pytest.UsageError(
            f"{flag}: expected an http(s) URL like http://host:8000/v1, got {value!r}"
        )


def _concurrency(config: pytest.Config, raw: dict[str, Any], serve: Any) -> int:
    """--llm-concurrency; with --llm-serve and none given, the server's slots: more calls
    than slots only queue, and every conversation then advances slowly."""
    given = config.getoption("llm_concurrency") is not None or config.getini("llm_concurrency")
    if serve is not None and not given:
        return int(serve.slots)
    return _number(raw["llm_concurrency"], "llm-concurrency", int, 1)


def positive_int(value: Any, flag: str) -> int:
    return _number(value, flag.lstrip("-"), int, 1)


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise pytest.UsageError(f"{flag}: expected NAME=VALUE, got {item!r}")
        pairs[key.strip()] = value.strip()
    return pairs


def _generation(raw: dict[str, Any]) -> dict[str, Any]:
    """The generation settings that were given, converted to their types."""
    return {
        name: _number(raw[f"llm_{name}"], f"llm-{name.replace('_', '-')}", kind)
        for name, kind in GENERATION_OPTIONS.items()
        if raw[f"llm_{name}"] is not None
    }


OWNED_FIELDS = frozenset(
    {"messages", "model", "tools", "tool_choice", "stream", "stream_options", "n", "functions"}
)
"""Request fields the harness builds itself: --llm-extra-body may not replace them."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _extra_body(items: list[str]) -> dict[str, Any]:
    extra = {}
    for key, text in _pairs(items, "--llm-extra-body").items():
        if key in OWNED_FIELDS:
            raise pytest.UsageError(
                f"--llm-extra-body {key}=...: {key!r} is built by the harness and cannot be set"
            )
        try:
            extra[key] = json.loads(text, parse_constant=_no_constant)
        except json.JSONDecodeError:
            extra[key] = text  # a bare word is a string, as users type it
        except ValueError as error:
            raise pytest.UsageError(f"--llm-extra-body {key}={text}: {error}") from None
    return extra


def build_run_config(config: pytest.Config, declared: tuple[Option, ...] = ()) -> RunConfig:
    """Read every option once (the core's and the `declared` ones of benchmarks); raise
    pytest.UsageError with one clear line on bad input."""
    raw = {opt.dest: read_option(config, opt) for opt in OPTIONS}
    benchmark_options = {
        opt.dest: (opt.parse or _keep)(read_option(config, opt), opt.flag) for opt in declared
    }
    generation = _generation(raw) | _extra_body(raw["llm_extra_body"])
    urls = _base_urls(raw["llm_base_url"], "llm_base_url")
    judge_urls = _base_urls(raw["llm_judge_base_url"], "llm_judge_base_url") or urls
    first = urls[0] if urls else None
    endpoint = Endpoint(raw["llm_model"], first, raw["llm_api_key"], generation, replicas=urls[1:])
    judge_generation = {
        "temperature": _number(raw["llm_judge_temperature"], "llm-judge-temperature", float),
        "max_tokens": _number(raw["llm_judge_max_tokens"], "llm-judge-max-tokens", int, 1),
    }
    judge = Endpoint(
        raw["llm_judge_model"],
        judge_urls[0] if judge_urls else None,
        raw["llm_judge_api_key"] or raw["llm_api_key"],
        judge_generation,
        replicas=judge_urls[1:],
    )
    from .local.server import SERVE_OPTIONS, serve_settings

    local = {opt.dest: read_option(config, opt) for opt in SERVE_OPTIONS}
    serve = serve_settings(local)
    return RunConfig(
        endpoint=endpoint,
        judge=judge,
        limit=_number(raw["llm_limit"], "llm-limit", int, 1),
        shard=parse_shard(raw["llm_shard"]),
        repeats=_number(raw["llm_repeats"], "llm-repeats", int, 1),
        timeout=_number(raw["llm_timeout"], "llm-timeout", float, 0.001),
        retries=_number(raw["llm_retries"], "llm-retries", int, 0),
        stream=bool(raw["llm_stream"]),
        ignore_errors=bool(raw["llm_ignore_errors"]),
        concurrency=_concurrency(config, raw, serve),
        rate=_number(raw["llm_rate"], "llm-rate", float, 0.0) or None,
        report_only=bool(raw["llm_report_only"]),
        progress_s=_number(raw["llm_progress"], "llm-progress", float, 0.0),
        output=Path(raw["llm_output"]),
        data=_pairs(raw["llm_data"], "--llm-data"),
        cache_path=None if raw["llm_no_cache"] else Path(raw["llm_cache"]),
        thresholds=tuple(raw["llm_threshold"]),
        max_error_rate=_number(raw["llm_max_error_rate"], "llm-max-error-rate", float, 0.0),
        max_consecutive_errors=_number(
            raw["llm_max_consecutive_errors"], "llm-max-consecutive-errors", int, 0
        ),
        baseline=Path(raw["llm_baseline"]) if raw["llm_baseline"] else None,
        max_drops=tuple(raw["llm_max_drop"]),
        benchmark_options=benchmark_options,
        serve=serve,
        serve_judge=bool(local["llm_serve_judge"]),
        sample_header=bool(raw["llm_sample_header"]),
    )


SECRET_FLAGS = ("--llm-api-key", "--llm-judge-api-key")


def mask_secrets(args: list[str]) -> list[str]:
    """A command line safe to store: values of the key flags replaced by ***."""
    masked, hide_next = [], False
    for arg in args:
        if hide_next:
            masked.append("***")
            hide_next = False
        elif arg in SECRET_FLAGS:
            masked.append(arg)
            hide_next = True
        elif arg.startswith(tuple(f"{flag}=" for flag in SECRET_FLAGS)):
            masked.append(arg.split("=", 1)[0] + "=***")
        else:
            masked.append(arg)
    return masked
