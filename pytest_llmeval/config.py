"""Command-line and ini options, turned once into a frozen RunConfig.

Every option has a CLI flag, an ini key of the same name (``llm_model`` for ``--llm-model``) and,
for endpoints and secrets, an environment fallback. Precedence: CLI, ini, environment, default.
Secrets are kept out of ``repr`` and out of everything written to disk.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

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

    def public(self) -> dict[str, Any]:
        """What may be shown or stored: everything but the key."""
        return {
            "model": self.model,
            "base_url": self.base_url,
            "api_key": "***" if self.api_key else None,
            "generation": self.generation,
        }


@dataclass(frozen=True)
class ServeSettings:
    """How to run a local llama-server for the session (``--llm-serve``)."""

    model: str
    slots: int = 4
    context: int = 32768
    threads: int = 2
    template: str | None = None
    judge: bool = False


@dataclass(frozen=True)
class RunConfig:
    """Everything a benchmark run needs, fixed at configure time."""

    target: Endpoint
    judge: Endpoint
    limit: int | None = None
    repeats: int = 1
    timeout: float = 600.0
    retries: int = 5
    stream: bool = False
    ignore_errors: bool = False
    concurrency: int = 32
    output: Path = Path("llmeval_results")
    data: dict[str, str] = field(default_factory=dict)
    cache_path: Path | None = Path(".llmeval_cache/responses.sqlite3")
    thresholds: tuple[str, ...] = ()
    max_error_rate: float = 0.0
    bfcl_mode: str = "fc"
    bfcl_underscore_to_dot: bool | None = None
    judge_template: Path | None = None
    serve: ServeSettings | None = None
    sample_header: bool = False

    @property
    def active(self) -> bool:
        """A benchmark run needs a model (or a local server that provides one)."""
        return bool(self.target.model) or self.serve is not None


@dataclass(frozen=True)
class _Option:
    flag: str
    help: str
    default: Any = None
    kind: str = "string"  # string | bool | list
    env: str | None = None

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


OPTIONS: tuple[_Option, ...] = (
    _Option("--llm-model", "model name to evaluate (enables the benchmark items)", env="LLM_MODEL"),
    _Option("--llm-base-url", "OpenAI-compatible base URL", env="OPENAI_BASE_URL"),
    _Option(
        "--llm-api-key", "API key (default: $OPENAI_API_KEY; never printed)", env="OPENAI_API_KEY"
    ),
    _Option("--llm-temperature", "sampling temperature"),
    _Option("--llm-top-p", "nucleus sampling top_p"),
    _Option("--llm-top-k", "top_k (sent in the request body)"),
    _Option("--llm-repetition-penalty", "repetition_penalty (sent in the request body)"),
    _Option("--llm-max-tokens", "max tokens per answer"),
    _Option("--llm-seed", "sampling seed"),
    _Option("--llm-parallel-tool-calls", "true/false: allow several tool calls per answer"),
    _Option("--llm-extra-body", "KEY=JSON extra request field, repeatable", kind="list"),
    _Option("--llm-limit", "at most N samples per subset (the seed's `limit`)"),
    _Option("--llm-repeats", "sample each item N times (pass@k)", default="1"),
    _Option("--llm-timeout", "seconds per request", default="600"),
    _Option("--llm-retries", "retries on 429/5xx/timeouts/connection errors", default="5"),
    _Option("--llm-stream", "stream responses", kind="bool"),
    _Option("--llm-ignore-errors", "score failed calls as 0 (counted in Errors)", kind="bool"),
    _Option(
        "--llm-sample-header",
        "send X-LLMEval-Sample: DATASET/ID/rREPEAT with each call (to match server logs)",
        kind="bool",
    ),
    _Option("--llm-concurrency", "requests in flight per process", default="32"),
    _Option(
        "--llm-output", "folder for run reports (one sub-folder per run)", default="llmeval_results"
    ),
    _Option("--llm-data", "NAME=PATH: read a benchmark's data from local files", kind="list"),
    _Option("--llm-cache", "response cache file", default=".llmeval_cache/responses.sqlite3"),
    _Option("--llm-no-cache", "do not read or write the response cache", kind="bool"),
    _Option("--llm-threshold", "gate: DATASET[:METRIC][:SUBSET]=MIN, repeatable", kind="list"),
    _Option("--llm-max-error-rate", "gate: tolerated share of failed calls", default="0"),
    _Option("--llm-bfcl-mode", "BFCL: fc (native tools) or prompt", default="fc"),
    _Option("--llm-bfcl-underscore-to-dot", "BFCL: true/false (default: true in fc mode)"),
    _Option(
        "--llm-judge-model", "judge model for SimpleQA-style benchmarks", env="LLM_JUDGE_MODEL"
    ),
    _Option("--llm-judge-base-url", "judge base URL (default: --llm-base-url)"),
    _Option(
        "--llm-judge-api-key",
        "judge API key (default: $LLM_JUDGE_API_KEY, then the model's)",
        env="LLM_JUDGE_API_KEY",
    ),
    _Option("--llm-judge-temperature", "judge temperature", default="0"),
    _Option("--llm-judge-max-tokens", "judge max tokens", default="4096"),
    _Option("--llm-judge-template", "file replacing the grader prompt"),
    _Option("--llm-serve", "serve a local GGUF (path or preset) with llama-server for the session"),
    _Option("--llm-serve-slots", "llama-server parallel slots", default="4"),
    _Option("--llm-serve-context", "llama-server context (all slots)", default="32768"),
    _Option("--llm-serve-threads", "llama-server threads", default="2"),
    _Option("--llm-serve-template", "chat template file for llama-server"),
    _Option("--llm-serve-judge", "also use the local server as the judge", kind="bool"),
)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("llmeval", "LLM evaluation (pytest-llmeval)")
    for opt in OPTIONS:
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
            if opt.dest.endswith("api_key"):
                continue  # secrets do not belong in checked-in ini files
            parser.addini(opt.dest, opt.help, default=None)


def _raw(config: pytest.Config, opt: _Option) -> Any:
    value = config.getoption(opt.dest)
    if value is not None:
        return value
    if not opt.dest.endswith("api_key"):
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
    if minimum is not None and number < minimum:
        raise pytest.UsageError(f"--{name}: must be >= {minimum}, got {value!r}")
    return number


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


def _extra_body(items: list[str]) -> dict[str, Any]:
    extra = {}
    for key, text in _pairs(items, "--llm-extra-body").items():
        try:
            extra[key] = json.loads(text)
        except json.JSONDecodeError:
            extra[key] = text  # a bare word is a string, as users type it
    return extra


def build_run_config(config: pytest.Config) -> RunConfig:
    """Read every option once; raise pytest.UsageError with one clear line on bad input."""
    raw = {opt.dest: _raw(config, opt) for opt in OPTIONS}
    generation = _generation(raw) | _extra_body(raw["llm_extra_body"])
    target = Endpoint(raw["llm_model"], raw["llm_base_url"], raw["llm_api_key"], generation)
    judge_generation = {
        "temperature": _number(raw["llm_judge_temperature"], "llm-judge-temperature", float),
        "max_tokens": _number(raw["llm_judge_max_tokens"], "llm-judge-max-tokens", int, 1),
    }
    judge = Endpoint(
        raw["llm_judge_model"],
        raw["llm_judge_base_url"] or raw["llm_base_url"],
        raw["llm_judge_api_key"] or raw["llm_api_key"],
        judge_generation,
    )
    mode = str(raw["llm_bfcl_mode"]).lower()
    if mode not in {"fc", "prompt"}:
        raise pytest.UsageError(f"--llm-bfcl-mode: expected fc or prompt, got {mode!r}")
    underscore = raw["llm_bfcl_underscore_to_dot"]
    serve = None
    if raw["llm_serve"]:
        serve = ServeSettings(
            model=raw["llm_serve"],
            slots=_number(raw["llm_serve_slots"], "llm-serve-slots", int, 1),
            context=_number(raw["llm_serve_context"], "llm-serve-context", int, 512),
            threads=_number(raw["llm_serve_threads"], "llm-serve-threads", int, 1),
            template=raw["llm_serve_template"],
            judge=bool(raw["llm_serve_judge"]),
        )
    template = raw["llm_judge_template"]
    if template:
        from .scoring.judge import load_template

        try:
            load_template(Path(template))
        except (OSError, ValueError) as error:
            raise pytest.UsageError(f"--llm-judge-template: {error}") from None
    return RunConfig(
        target=target,
        judge=judge,
        limit=_number(raw["llm_limit"], "llm-limit", int, 1),
        repeats=_number(raw["llm_repeats"], "llm-repeats", int, 1),
        timeout=_number(raw["llm_timeout"], "llm-timeout", float, 0.001),
        retries=_number(raw["llm_retries"], "llm-retries", int, 0),
        stream=bool(raw["llm_stream"]),
        ignore_errors=bool(raw["llm_ignore_errors"]),
        concurrency=_number(raw["llm_concurrency"], "llm-concurrency", int, 1),
        output=Path(raw["llm_output"]),
        data=_pairs(raw["llm_data"], "--llm-data"),
        cache_path=None if raw["llm_no_cache"] else Path(raw["llm_cache"]),
        thresholds=tuple(raw["llm_threshold"]),
        max_error_rate=_number(raw["llm_max_error_rate"], "llm-max-error-rate", float, 0.0),
        bfcl_mode=mode,
        bfcl_underscore_to_dot=None
        if underscore is None
        else _parse_bool(underscore, "llm_bfcl_underscore_to_dot"),
        judge_template=Path(template) if template else None,
        serve=serve,
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
