"""LiveCodeBench code generation (``livecodebench/code_generation_lite``), difficulty as subsets.

A release (``--llm-lcb-version``) is the hub's cumulative files (release_v1: test.jsonl,
release_v2: test.jsonl + test2.jsonl, ... release_v6 and release_latest: test.jsonl ...
test6.jsonl); ``--llm-lcb-start-date``/``--llm-lcb-end-date`` keep the problems whose contest
date is in the window, compared as LiveCodeBench does (the end date at 00:00, inclusive), so a
model can be scored on problems after its training cut-off only.

Tests: public then private, stdin/stdout programs or functional (LeetCode's ``class Solution``
with the method named in metadata.func_name), run until the first failure, 6 s each and
LiveCodeBench's (6 + 1) s per test + 5 s in all. Outputs are compared outside the sandbox with
LiveCodeBench's rules (stripped lines equal as text or as decimals; a returned value equal to the
expected JSON). Private tests are JSON, or (in the real set) base64 of zlib of a pickled JSON
string: decoded here with an unpickler that resolves no global at all, so no pickle can run code
(a pickled string needs none), and only when the sample's tests run.

Prompt: LiveCodeBench's for chat models (``lcb_runner/prompts/code_generation.py``, the OpenAI
chat style): its system message, then the question and the format section with the starter code
(functional) or the stdin/stdout instruction. Programs run after the imports LiveCodeBench's
harness provides (``from collections import *`` and the rest, recursion limit 50,000); stdin
programs run as a real ``__main__`` with the test on standard input, where LiveCodeBench wraps
them in a function with a mocked stdin.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import io
import json
import pickle
import zlib
from collections import OrderedDict, defaultdict
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ..config import Option, parse_choice
from ..data import DataError, pick, read_table
from ..records import Outcome, Sample
from ..sandbox import Sandbox
from ..scoring.code_tests import IOTest, SuiteResult, io_suite
from .base import HarnessError, Rows
from .code_base import SANDBOX, CodeBenchmark

HUB = "livecodebench/code_generation_lite"
SHARDS = ("test.jsonl", "test2.jsonl", "test3.jsonl", "test4.jsonl", "test5.jsonl", "test6.jsonl")
RELEASES = {f"release_v{n}": SHARDS[:n] for n in range(1, len(SHARDS) + 1)}
RELEASES["release_latest"] = SHARDS
CASE_S = 6.0  # LiveCodeBench's --timeout per test
MAX_DECODED = 1 << 30  # bytes of one problem's private tests, decompressed

SYSTEM = (
    "You are an expert Python programmer. You will be given a question (problem specification) "
    "and will generate a correct Python program that matches the specification and passes all "
    "tests. You will NOT return anything except for the program."
)
WITH_STARTER = (
    "You will use the following starter code to write the solution to the problem and enclose "
    "your code within delimiters."
)
WITHOUT_STARTER = (
    "Read the inputs from stdin solve the problem and write the answer to stdout (do not "
    "directly test on the sample inputs). Enclose your code within delimiters as follows."
)


def question_prompt(question: str, starter_code: str) -> str:
    """LiveCodeBench's user message for chat models."""
    text = f"### Question:\n{question}\n\n"
    if starter_code:
        text += f"### Format: {WITH_STARTER}\n```python\n{starter_code}\n```\n\n"
    else:
        text += f"### Format: {WITHOUT_STARTER}\n```python\n# YOUR CODE HERE\n```\n\n"
    return text + "### Answer: (use the provided format with backticks)\n\n"


def parse_date(value: Any, flag: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        return dt.datetime.strptime(str(value).strip(), "%Y-%m-%d")
    except ValueError:
        raise pytest.UsageError(f"{flag}: expected a date YYYY-MM-DD, got {value!r}") from None


VERSION = Option(
    "--llm-lcb-version",
    "LiveCodeBench: release_v1 ... release_v6 or release_latest (the default, = release_v6)",
    default="release_latest",
    parse=parse_choice(*RELEASES),
)
START_DATE = Option(
    "--llm-lcb-start-date",
    "LiveCodeBench: only problems from contests on or after YYYY-MM-DD",
    parse=parse_date,
)
END_DATE = Option(
    "--llm-lcb-end-date",
    "LiveCodeBench: only problems from contests up to YYYY-MM-DD (inclusive)",
    parse=parse_date,
)


class _NoGlobals(pickle.Unpickler):
    """An unpickler that resolves no global: no class, no function, so nothing to call."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refused to load {module}.{name}")


def decode_tests(text: str) -> list[dict[str, Any]]:
    """A test list as the data holds it: JSON, or base64(zlib(pickle(JSON string)))."""
    try:
        data = json.loads(text)
    except ValueError:
        data = json.loads(_unpack(text))
    if not isinstance(data, list) or not all(
        isinstance(t, dict) and isinstance(t.get("input"), str) and isinstance(t.get("output"), str)
        for t in data
    ):
        raise DataError("tests are not a list of {input, output} objects")
    return data


def _unpack(text: str) -> str:
    """LiveCodeBench's encoding of private tests, undone without running any pickled code."""
    try:
        packed = base64.b64decode(text.encode("ascii"), validate=False)
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_DECODED)
        if inflater.unconsumed_tail:
            raise DataError(f"private tests over {MAX_DECODED >> 20} MB decompressed")
        value = _NoGlobals(io.BytesIO(raw)).load()
    except (ValueError, UnicodeEncodeError, zlib.error, pickle.UnpicklingError, EOFError) as e:
        raise DataError(f"tests are neither JSON nor LiveCodeBench's encoding: {e}") from None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    if not isinstance(value, str):
        raise DataError(f"tests decode to a {type(value).__name__}, not JSON text")
    return value


def _tests(data: list[dict[str, Any]], kind: str) -> tuple[IOTest, ...]:
    return tuple(
        IOTest(test["input"], test["output"], f"{kind} {number}")
        for number, test in enumerate(data, 1)
    )


class LiveCodeBench(CodeBenchmark):
    name = "live_code_bench"
    subsets = ("easy", "medium", "hard")
    metrics = ("AveragePass@1",)
    options: ClassVar[tuple[Option, ...]] = (SANDBOX, VERSION, START_DATE, END_DATE)
    hub_path = HUB
    data_help = (
        "a folder with the hub's files (test.jsonl, test2.jsonl, ... test6.jsonl, as many as "
        "the release needs) or one JSONL file in the schema of livecodebench/code_generation_lite"
    )

    def __init__(self, options: dict[str, Any] | None = None, repeats: int = 1) -> None:
        super().__init__(options, repeats)
        self._decoded: OrderedDict[str, tuple[IOTest, ...]] = OrderedDict()

    @property
    def window(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        return self.option("--llm-lcb-start-date"), self.option("--llm-lcb-end-date")

    def prepare(self) -> None:
        start, end = self.window
        if start is not None and end is not None and start > end:
            raise DataError(
                f"--llm-lcb-start-date {start:%Y-%m-%d} is after --llm-lcb-end-date {end:%Y-%m-%d}"
            )
        super().prepare()

    # -- data ------------------------------------------------------------------------------
    def read_rows(self, source: str | None) -> Rows:
        version = str(self.option("--llm-lcb-version"))
        files = RELEASES[version]
        if source is None:
            rows = [row for name in files for row in _hub_file(name)]
        else:
            path = Path(source)
            if path.is_dir():
                missing = [name for name in files if not (path / name).is_file()]
                if missing:
                    raise DataError(f"{path} lacks {', '.join(missing)} for {version}")
                rows = [row for name in files for row in read_table(path / name)]
            elif path.exists():
                rows = read_table(path)
            else:
                raise DataError(f"no such file or folder: {path}")
        start, end = self.window
        kept: Rows = defaultdict(list)
        for row in rows:
            date = _contest_date(row)
            if (start is None or start <= date) and (end is None or date <= end):
                kept[str(pick(row, ("difficulty",), "difficulty")).lower()].append(row)
        unknown = sorted(set(kept) - set(self.subsets))
        if unknown:
            raise DataError(f"unknown difficulty {unknown[0]!r} (expected easy, medium, hard)")
        if not kept and rows:
            window = f"{start or '...'} to {end or '...'}".replace(" 00:00:00", "")
            raise DataError(f"no problem of {version} has a contest date from {window}")
        return kept

    def sample(self, subset: str, index: int, row: dict[str, Any]) -> Sample:
        question_id = str(pick(row, ("question_id",), "question_id"))
        starter = str(row.get("starter_code") or "")
        metadata = row.get("metadata") or "{}"
        metadata = json.loads(metadata) if isinstance(metadata, str) else dict(metadata)
        public = row.get("public_test_cases") or "[]"
        public = decode_tests(public) if isinstance(public, str) else list(public)
        private = row.get("private_test_cases") or "[]"
        return Sample(
            id=question_id,
            dataset=self.name,
            subset=subset,
            messages=[
                {"role": "system", "content": SYSTEM},
                {
                    "role": "user",
                    "content": question_prompt(
                        str(pick(row, ("question_content",), "question_content")), starter
                    ),
                },
            ],
            category=self.category(subset),
            meta={
                "fn_name": metadata.get("func_name"),
                "public": _tests(public, "public"),
                "private": private if isinstance(private, str) else json.dumps(list(private)),
                "contest_date": _contest_date(row).isoformat(),
                "platform": row.get("platform"),
                "title": row.get("question_title"),
            },
        )

    # -- tests -----------------------------------------------------------------------------
    async def private_tests(self, sample: Sample) -> tuple[IOTest, ...]:
        """The sample's private tests, decoded off the loop once for its repeats."""
        if sample.id not in self._decoded:
            data = await asyncio.to_thread(decode_tests, sample.meta["private"])
            self._decoded[sample.id] = _tests(data, "private")
            while len(self._decoded) > 8:
                self._decoded.popitem(last=False)
        return self._decoded[sample.id]

    async def evaluate(self, sample: Sample, outcome: Outcome) -> None:
        await super().evaluate(sample, outcome)
        outcome.extra["contest_date"] = sample.meta["contest_date"]

    async def run_suites(self, sample: Sample, program: str, sandbox: Sandbox) -> list[SuiteResult]:
        fn_name = sample.meta["fn_name"]
        limits = self.limits()
        public = await io_suite(
            sandbox, "public", program, sample.meta["public"], fn_name=fn_name, case_s=CASE_S,
            limits=limits,
        )  # fmt: skip
        if not public.ok:
            return [public]
        try:
            tests = await self.private_tests(sample)
        except DataError as error:
            raise HarnessError(f"{sample.id}: {error}", kind="data") from None
        private = await io_suite(
            sandbox, "private", program, tests, fn_name=fn_name, case_s=CASE_S, limits=limits
        )
        return [public, private]


def _contest_date(row: dict[str, Any]) -> dt.datetime:
    value = pick(row, ("contest_date",), "contest_date")
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    try:
        return dt.datetime.fromisoformat(str(value)).replace(tzinfo=None)
    except ValueError:
        raise DataError(f"contest_date {value!r} is not an ISO date") from None


def _hub_file(name: str) -> list[dict[str, Any]]:
    """One of the hub's files, downloaded once into the hub cache, read line by line (the
    repository's loading script is not run)."""
    try:
        from huggingface_hub import hf_hub_download

        path = hf_hub_download(HUB, name, repo_type="dataset")
    except Exception as error:
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise DataError(f"cannot load hub file {HUB}/{name}: {reason}") from None
    return read_table(Path(path))
