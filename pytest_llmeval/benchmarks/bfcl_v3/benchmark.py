"""BFCL v3 as a benchmark: 17 subsets, FC or prompt mode, scored as the official leaderboard.

Data (first found wins): the folder given with ``--llm-data bfcl_v3=DIR`` (the layout of
``bfcl_eval/data``: ``BFCL_v3_<cat>.json``, ``possible_answer/``, ``multi_turn_func_doc/``), the
installed ``bfcl_eval`` package (``pip install --no-deps bfcl-eval==2025.8.6.2 mpmath``), or the
hub copy of the leaderboard's files when online. Multi-turn subsets also need the package's
simulated APIs, executed without ``eval`` on fresh instances per sample.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...config import Option, parse_bool, parse_choice
from ...data import DataError
from ...records import Outcome, Sample, SampleRecord, Verdict
from ...reporting.compare import ComparisonRow, Pairing, weighted_row
from ...scoring.stats import Estimate, weighted_estimate
from ..base import Benchmark, ExtraRows, RunContext
from .ast_checker import CheckResult, check_ast, check_relevance, language_for_subset
from .decode import DecodeError, decode_fc, decode_prompt
from .multi_turn import build_functions, check_multi_turn, run_conversation, uses_long_context
from .tools import apply_prompt_mode, to_openai_tools

CATEGORIES: dict[str, str] = {
    "live_simple": "AST_LIVE",
    "live_multiple": "AST_LIVE",
    "live_parallel": "AST_LIVE",
    "live_parallel_multiple": "AST_LIVE",
    "simple": "AST_NON_LIVE",
    "multiple": "AST_NON_LIVE",
    "parallel": "AST_NON_LIVE",
    "parallel_multiple": "AST_NON_LIVE",
    "java": "AST_NON_LIVE",
    "javascript": "AST_NON_LIVE",
    "multi_turn_base": "MULTI_TURN",
    "multi_turn_miss_func": "MULTI_TURN",
    "multi_turn_miss_param": "MULTI_TURN",
    "multi_turn_long_context": "MULTI_TURN",
    "irrelevance": "RELEVANCE",
    "live_relevance": "RELEVANCE",
    "live_irrelevance": "RELEVANCE",
}
"""Subsets in the seed table's order, with their Cat.0."""

HUB_REPO = "gorilla-llm/Berkeley-Function-Calling-Leaderboard"
LEADERBOARD = "LeaderboardAccuracy"
METRIC = "AverageAccuracy"
OFFICIAL_GROUPS = ("NON_LIVE", "LIVE", "MULTI_TURN", "OVERALL")


def installed_data_dir() -> Path | None:
    """`bfcl_eval/data` of the installed bfcl-eval package, or None when it is not installed."""
    spec = importlib.util.find_spec("bfcl_eval")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "data"
    return folder if (folder / "BFCL_v3_simple.json").is_file() else None


def _hub_data_dir() -> Path:
    try:
        from huggingface_hub import snapshot_download

        return Path(
            snapshot_download(
                HUB_REPO,
                repo_type="dataset",
                allow_patterns=["*BFCL_v3_*", "multi_turn_func_doc/*"],
            )
        )
    except Exception as error:  # offline, missing package: one line for the user
        raise DataError(
            f"no local BFCL v3 data and the hub copy failed ({type(error).__name__})"
        ) from None


@functools.cache
def _has_tree_sitter() -> bool:
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("tree_sitter", "tree_sitter_java", "tree_sitter_javascript")
    )


@functools.cache
def _read_lines(path: Path) -> tuple[dict[str, Any], ...]:
    if not path.is_file():
        raise DataError(f"missing BFCL data file {path}")
    with path.open(encoding="utf-8") as lines:
        try:
            return tuple(json.loads(line) for line in lines if line.strip())
        except json.JSONDecodeError as error:
            raise DataError(f"cannot read {path}: {error.msg} at line {error.lineno}") from None


MODE = Option(
    "--llm-bfcl-mode",
    "BFCL: fc (native tools) or prompt",
    default="fc",
    parse=parse_choice("fc", "prompt"),
)
UNDERSCORE_TO_DOT = Option(
    "--llm-bfcl-underscore-to-dot",
    "BFCL: true/false (default: true in fc mode)",
    parse=parse_bool,
)


class BfclV3(Benchmark):
    name = "bfcl_v3"
    metrics = (METRIC,)
    extra = ExtraRows(LEADERBOARD, OFFICIAL_GROUPS)
    subsets = tuple(CATEGORIES)
    options = (MODE, UNDERSCORE_TO_DOT)
    score_refusals = True  # a refusal is a reply like any other (right on irrelevance)
    data_help = "pip install --no-deps bfcl-eval==2025.8.6.2 mpmath, or a copy of bfcl_eval/data"

    @property
    def mode(self) -> str:
        return self.option("--llm-bfcl-mode")

    @property
    def underscore_to_dot(self) -> bool:
        """Dotted names go out with `_` in FC mode, so the checker must accept that form."""
        chosen = self.option("--llm-bfcl-underscore-to-dot")
        return self.mode == "fc" if chosen is None else chosen

    def category(self, subset: str) -> str:
        return CATEGORIES.get(subset, "default")

    # -- data ------------------------------------------------------------------------------
    def source_label(self, source: str | None) -> str:
        if source:
            return source
        folder = installed_data_dir()
        if folder is None:
            return f"hub:{HUB_REPO}"
        from importlib import metadata

        return f"bfcl-eval {metadata.version('bfcl-eval')} package ({folder})"

    def load(self, source: str | None) -> list[Sample]:
        folder = Path(source) if source else installed_data_dir() or _hub_data_dir()
        if not folder.is_dir():
            raise DataError(f"no such folder: {folder}")
        samples: list[Sample] = []
        for subset in self.subsets:
            question_file = folder / f"BFCL_v3_{subset}.json"
            if source and not question_file.is_file():
                continue  # a user folder may hold only some subsets
            answers = self._answers(folder, subset)
            for entry in _read_lines(question_file):
                samples.append(self._sample(folder, subset, entry, answers.get(entry["id"])))
        if not samples:
            raise DataError(f"{folder} holds no BFCL_v3_<subset>.json file")
        return samples

    @staticmethod
    def _answers(folder: Path, subset: str) -> dict[str, Any]:
        if "relevance" in subset:
            return {}  # relevance is judged on whether a call was made; there is no GT file
        path = folder / "possible_answer" / f"BFCL_v3_{subset}.json"
        return {answer["id"]: answer["ground_truth"] for answer in _read_lines(path)}

    def _sample(self, folder: Path, subset: str, entry: dict[str, Any], truth: Any) -> Sample:
        if subset.startswith("multi_turn"):
            functions, held_out = build_functions(entry, folder / "multi_turn_func_doc")
            meta = {"entry": entry, "functions": functions, "held_out": held_out}
            first_turn = list(entry["question"][0])
            messages = (
                apply_prompt_mode(first_turn, functions, subset)
                if self.mode == "prompt"
                else first_turn
            )
            tools = self._multi_turn_tools(functions) if self.mode == "fc" else None
            return Sample(
                entry["id"], self.name, subset, messages, truth, self.category(subset), tools, meta
            )
        functions = entry["function"]
        messages = list(entry["question"][0])
        if self.mode == "prompt":
            messages, tools = apply_prompt_mode(messages, functions, subset), None
        else:
            tools = to_openai_tools(functions, subset)
        return Sample(
            entry["id"],
            self.name,
            subset,
            messages,
            truth,
            self.category(subset),
            tools,
            {"functions": functions},
        )

    @functools.cached_property
    def _tools_by_names(self) -> dict[tuple[str, ...], list[dict[str, Any]]]:
        return {}

    def _multi_turn_tools(self, functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Multi-turn entries offer a few class combinations: convert each once, share it
        (read-only) between samples, instead of 800 copies."""
        names = tuple(doc["name"] for doc in functions)
        if names not in self._tools_by_names:
            self._tools_by_names[names] = to_openai_tools(functions, "multi_turn")
        return self._tools_by_names[names]

    # -- calls -----------------------------------------------------------------------------
    async def generate(self, sample: Sample, ctx: RunContext) -> None:
        ctx.outcome.extra["functions_offered"] = [doc["name"] for doc in sample.meta["functions"]]
        if not sample.subset.startswith("multi_turn"):
            return await super().generate(sample, ctx)
        entry = sample.meta["entry"]
        transcript = await run_conversation(
            entry,
            sample.meta["functions"],
            sample.meta["held_out"],
            ctx.chat,
            mode=self.mode,  # type: ignore[arg-type]
            long_context=uses_long_context(entry),
        )
        ctx.outcome.messages = transcript.messages
        ctx.outcome.extra.update(steps=transcript.steps, force_quit=transcript.force_quit)

    # -- scoring ---------------------------------------------------------------------------
    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        result, decoded = self._check(sample, outcome)
        reason = "ok" if result.valid else f"{result.error_type}: {result.error}"
        tags = [] if result.valid else [result.error_type]
        return Verdict(result.valid, reason, {METRIC: float(result.valid)}, decoded, tags)

    def _check(self, sample: Sample, outcome: Outcome) -> tuple[CheckResult, Any]:
        subset = sample.subset
        if subset.startswith("multi_turn"):
            entry = sample.meta["entry"]
            steps = outcome.extra.get("steps", [])
            return check_multi_turn(
                entry, steps, sample.target, long_context=uses_long_context(entry)
            ), steps
        decoded = self._decode(subset, outcome)
        if "relevance" in subset:
            return check_relevance(subset, decoded), decoded
        result = check_ast(
            subset,
            sample.meta["functions"],
            decoded,
            sample.target,
            underscore_to_dot=self.underscore_to_dot,
        )
        return result, decoded

    def _decode(self, subset: str, outcome: Outcome) -> Any:
        """The reply as [{name: args}]; None when it does not decode (text in FC mode, say).

        Prompt-mode Java/JavaScript replies are parsed as those languages, as officially.
        """
        final = outcome.final
        language = language_for_subset(subset)
        if self.mode == "prompt" and language != "Python" and not _has_tree_sitter():
            hint = "pip install 'pytest-llmeval[bfcl]'"
            raise RuntimeError(f"{language} replies are parsed with tree-sitter: {hint}")
        try:
            if self.mode == "fc":
                return decode_fc(final.tool_calls) if final.tool_calls else None
            return decode_prompt(final.text, language)
        except DecodeError:
            return None

    # -- the official aggregate (spec 3.10) ------------------------------------------------
    def group_subsets(self, group: str) -> tuple[str, ...]:
        if group == "LIVE":
            return tuple(n for n in CATEGORIES if n.startswith("live_"))
        if group == "MULTI_TURN":
            return tuple(n for n in CATEGORIES if n.startswith("multi_turn"))
        if group == "NON_LIVE":
            return tuple(n for n in CATEGORIES if not n.startswith(("live_", "multi_turn")))
        return self.subsets

    def extra_rows(self, records: Sequence[SampleRecord]) -> dict[str, tuple[float, int]]:
        accuracy, counts = _per_subset(records)
        return leaderboard_groups(accuracy, counts) if accuracy else {}

    def extra_estimates(self, records: Sequence[SampleRecord]) -> dict[str, Estimate]:
        """Each official group is Σ w_k · accuracy_k over disjoint subsets (weights from
        `leaderboard_weights`): `weighted_estimate` of the subsets' estimates."""
        by_subset: dict[str, list[SampleRecord]] = {}
        for record in records:
            by_subset.setdefault(record.subset, []).append(record)
        parts = {s: self.estimates(group)[METRIC] for s, group in by_subset.items()}
        weights = leaderboard_weights({s: len(group) for s, group in by_subset.items()})
        return {
            name: weighted_estimate([parts[s] for s in w], list(w.values()))
            for name, w in weights.items()
        }

    def compare(self, pairing: Pairing) -> list[ComparisonRow]:
        """AverageAccuracy per subset and OVERALL, then the official groups as weighted rows
        of the subsets' paired differences (LIVE weighted by the paired counts)."""
        rows = super().compare(pairing)
        parts = {r.subset: r for r in rows if r.metric == METRIC and r.subset != "OVERALL"}
        weights = leaderboard_weights({s: r.n for s, r in parts.items()})
        return rows + [
            weighted_row([parts[s] for s in w], list(w.values()), metric=LEADERBOARD, subset=name)
            for name, w in weights.items()
        ]


def _per_subset(records: Sequence[SampleRecord]) -> tuple[dict[str, float], dict[str, int]]:
    by_subset: dict[str, list[float]] = {}
    for record in records:
        by_subset.setdefault(record.subset, []).append(record.metrics.get(METRIC, 0.0))
    return {s: statistics.fmean(v) for s, v in by_subset.items()}, {
        s: len(v) for s, v in by_subset.items()
    }


def leaderboard_weights(counts: dict[str, int]) -> dict[str, dict[str, float]]:
    """The official groups of `leaderboard_groups` as weights on the subsets that ran (those
    in `counts`): each group's figure is Σ_k w_k · accuracy_k, so its error bar is that of a
    weighted sum of disjoint parts. NON_LIVE: the unweighted mean of simple-AST (itself the
    mean of simple, java, javascript), multiple, parallel, parallel_multiple, irrelevance;
    LIVE: the live subsets weighted by count; MULTI_TURN: the unweighted mean of its
    subsets; OVERALL: the unweighted mean of the groups."""

    def mean_of(parts: list[dict[str, float]]) -> dict[str, float]:
        parts = [part for part in parts if part]
        weights: dict[str, float] = {}
        for part in parts:
            for subset, weight in part.items():
                weights[subset] = weights.get(subset, 0.0) + weight / len(parts)
        return weights

    def one(name: str) -> dict[str, float]:
        return {name: 1.0} if name in counts else {}

    simple_ast = mean_of([one(n) for n in ("simple", "java", "javascript")])
    others = [one(n) for n in ("multiple", "parallel", "parallel_multiple", "irrelevance")]
    live = [n for n in CATEGORIES if n.startswith("live_") and n in counts]
    total = sum(counts[n] for n in live)
    groups = {
        "NON_LIVE": mean_of([simple_ast, *others]),
        "LIVE": {n: counts[n] / total for n in live} if total else {},
        "MULTI_TURN": mean_of([one(n) for n in CATEGORIES if n.startswith("multi_turn")]),
    }
    groups = {name: weights for name, weights in groups.items() if weights}
    if groups:
        groups["OVERALL"] = mean_of(list(groups.values()))
    return groups


def leaderboard_groups(
    accuracy: dict[str, float], counts: dict[str, int]
) -> dict[str, tuple[float, int]]:
    """v3 `generate_leaderboard_csv`: unweighted means, except live (weighted by count).

    Groups are computed over the subsets that ran; a group with none is left out.
    """

    def mean_of(names: list[str]) -> tuple[float, int] | None:
        present = [n for n in names if n in accuracy]
        if not present:
            return None
        return statistics.fmean(accuracy[n] for n in present), sum(counts[n] for n in present)

    groups: dict[str, tuple[float, int]] = {}
    simple_ast = mean_of(["simple", "java", "javascript"])
    non_live_parts = [
        mean_of([n]) for n in ("multiple", "parallel", "parallel_multiple", "irrelevance")
    ]
    non_live_parts = [p for p in [simple_ast, *non_live_parts] if p is not None]
    if non_live_parts:
        groups["NON_LIVE"] = (
            statistics.fmean(p[0] for p in non_live_parts),
            sum(p[1] for p in non_live_parts),
        )
    live = [n for n in CATEGORIES if n.startswith("live_") and n in accuracy]
    if live:
        total = sum(counts[n] for n in live)
        groups["LIVE"] = (sum(accuracy[n] * counts[n] for n in live) / total, total)
    multi_turn = mean_of([n for n in CATEGORIES if n.startswith("multi_turn")])
    if multi_turn is not None:
        groups["MULTI_TURN"] = multi_turn
    if groups:
        groups["OVERALL"] = (
            statistics.fmean(s for s, _ in groups.values()),
            sum(n for _, n in groups.values()),
        )
    return groups
