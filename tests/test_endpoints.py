"""Several base URLs for one model, and adaptive concurrency under a rate limit, end to end:
scripted servers on 127.0.0.1, counted on the server side."""

from __future__ import annotations

import asyncio
import re
import socket
import threading

import pytest

from pytest_llmeval.config import Endpoint
from pytest_llmeval.endpoints import FAILURES_TO_REST, router_for
from tests.conftest import aime_oracle, aime_problem
from tests.scripted_server import Reply, TokenBucket
from tests.test_simple_qa import SIMPLE_QA, simple_qa_script
from tests.test_simple_qa import run as run_simple_qa

USAGE_ERROR = 4
SAMPLES = 30  # our AIME problems
SECRET = "sk-endpoints-SECRET-7731"
CHAT = "/v1/chat/completions"


class Replica:
    """The AIME oracle on one server that, from its `fail_after`-th call on, answers 500
    (`mode="500"`) or dies: drops the call and stops listening (`mode="dies"`)."""

    def __init__(self, delay: float = 0.01, fail_after: int | None = None, mode: str = "500"):
        self.delay, self.fail_after, self.mode = delay, fail_after, mode
        self.answered = 0
        self.failed = 0
        self.server = None

    def __call__(self, request: dict) -> Reply:
        if self.fail_after is not None and self.answered >= self.fail_after:
            self.failed += 1
            if self.mode == "dies":
                if self.failed == 1:
                    threading.Thread(target=self.server.stop).start()
                return Reply(drop=True)
            return Reply(status=500, error="replica broke")
        self.answered += 1
        reply = aime_oracle(request)
        reply.delay = self.delay
        return reply


def replicas(serve, *scripts: Replica):
    servers = []
    for script in scripts:
        script.server = serve(script)
        servers.append(script.server)
    return servers


def url_args(*urls: str) -> list[str]:
    return [f"--llm-base-url={url}" for url in urls]


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def chats(server) -> int:
    return sum(path == CHAT for path in server.paths)


def model_lanes(run) -> dict[str, dict]:
    return {lane["url"]: lane for lane in run.report()["meta"]["endpoints"]["model"]}


def assert_all_scored(run, total: int) -> None:
    assert run.ret == 0, run.text
    records = run.samples()
    assert len(records) == total
    assert all(r["passed"] and r["error"] is None for r in records)
    assert ("AveragePass@1", "OVERALL", total, 1.0, 0) in run.rows()


@pytest.mark.parametrize("mode", ["500", "dies"])
def test_one_of_three_endpoints_breaks_mid_run_and_no_sample_is_lost(serve, llmeval, mode):
    healthy, other = Replica(), Replica()
    broken = Replica(fail_after=5, mode=mode)
    a, b, c = replicas(serve, healthy, other, broken)
    total = 4 * SAMPLES
    run = llmeval(
        None, "--llm-model=scripted", *url_args(a.base_url, b.base_url, c.base_url),
        "--llm-repeats=4", "--llm-no-cache", "--llm-concurrency=6",
    )  # fmt: skip
    assert_all_scored(run, total)
    assert broken.answered == 5 and broken.failed >= 1
    # every sample answered once; the broken replica's failed calls were answered elsewhere
    delivered = healthy.answered + other.answered
    assert delivered >= total - 5
    if mode == "500":
        assert delivered == total - 5
        # all requests any server saw are the attempts the records count
        attempts = sum(r["attempts"] for r in run.samples())
        assert attempts == chats(a) + chats(b) + chats(c) == total + broken.failed
    assert healthy.answered > 20 and other.answered > 20  # the traffic moved to both
    lanes = model_lanes(run)
    assert set(lanes) == {a.base_url, b.base_url, c.base_url}
    assert (lanes[a.base_url]["errors"], lanes[b.base_url]["errors"]) == (0, 0)
    assert lanes[a.base_url]["calls"] == chats(a)
    assert lanes[c.base_url]["errors"] >= 1 and lanes[c.base_url]["rests"] >= 1
    answered_by_c = lanes[c.base_url]["calls"] - lanes[c.base_url]["errors"]
    # a replica that dies may take calls it never answers (they count as answered there)
    assert answered_by_c == 5 if mode == "500" else answered_by_c <= 5
    errors = lanes[c.base_url]["errors"]
    assert f"model endpoint {c.base_url}: {lanes[c.base_url]['calls']} calls, {errors} errors" in (
        run.text
    )


def test_a_dead_endpoint_at_start_is_left_out_with_one_warning(serve, llmeval):
    a, b = replicas(serve, Replica(), Replica())
    dead = dead_url()
    run = llmeval(a.base_url, *url_args(dead, b.base_url), f"--llm-api-key={SECRET}")
    assert_all_scored(run, SAMPLES)
    warning = (
        f"pytest-llmeval WARNING: cannot reach the model server at {dead}: "
        "[Errno 111] Connection refused; left out, the run goes on with the other 2"
    )
    assert run.text.count(warning) == 1
    assert chats(a) + chats(b) == SAMPLES and chats(a) > 0 and chats(b) > 0
    meta = run.report()["meta"]
    assert set(model_lanes(run)) == {a.base_url, b.base_url}
    assert meta["endpoints_left_out"] == [warning.removeprefix("pytest-llmeval WARNING: ")]
    assert meta["model"]["base_urls"] == [a.base_url, b.base_url]
    written = [p for p in run.run_dir.rglob("*") if p.is_file()]
    assert SECRET not in run.text
    assert all(SECRET not in p.read_text(errors="replace") for p in written)


def test_every_endpoint_dead_at_start_is_one_usage_error(llmeval):
    first, second = dead_url(), dead_url()
    run = llmeval(first, f"--llm-base-url={second}")
    assert run.ret == USAGE_ERROR, run.text
    line = (
        f"ERROR: cannot reach the model server at {first}: [Errno 111] Connection refused "
        "(and at the other 1 base URLs)"
    )
    assert line in run.result.errlines, run.text
    assert "Traceback" not in run.text


def test_a_rate_limited_server_gets_fewer_calls_at_once_and_every_sample(serve, llmeval):
    def answer(request: dict) -> Reply:
        """The oracle; the first problem slowly, so the first tests wait and show progress."""
        reply = aime_oracle(request)
        reply.delay = 1.0 if aime_problem(request)[:2] == ("AIME2025-I", 0) else 0.0
        return reply

    bucket = TokenBucket(rate=40, burst=16, delay=0.1, answer=answer)  # ~4 in flight
    server = serve(bucket)
    total = 4 * SAMPLES
    run = llmeval(
        server.base_url, "--llm-repeats=4", "--llm-no-cache", "--llm-concurrency=32",
        "--llm-progress=0.2",
    )  # fmt: skip
    assert_all_scored(run, total)
    first_refusal = bucket.refused.index(True)
    assert first_refusal >= 16  # the burst (and what refilled meanwhile), then a 429
    before = max(server.arrivals[:32])  # the first calls, before any 429 came back
    later = server.arrivals[len(server.arrivals) // 2 :]
    assert before == 32
    assert max(later) <= 16  # the limit was cut, and stays below the ceiling
    refusals = sum(bucket.refused)
    assert 0 < refusals < total
    (lane,) = run.report()["meta"]["endpoints"]["model"]
    assert (lane["calls"], lane["throttled"]) == (len(bucket.refused), refusals)
    assert lane["concurrency"] < 32
    assert re.search(r"\d+ in flight \(limit \d+\)", run.text)  # once 429s cut it


def test_a_rerun_with_the_urls_in_another_order_comes_from_the_cache(serve, llmeval):
    a, b = replicas(serve, Replica(), Replica())
    first = llmeval(a.base_url, f"--llm-base-url={b.base_url}")
    assert_all_scored(first, SAMPLES)
    assert chats(a) + chats(b) == SAMPLES
    again = llmeval(b.base_url, f"--llm-base-url={a.base_url}")
    assert_all_scored(again, SAMPLES)
    assert chats(a) + chats(b) == SAMPLES  # no new call
    assert all(r["cached"] for r in again.samples())
    # one URL keeps the key older caches have; several key on their sorted set
    assert Endpoint("m", "http://a/v1").cache_scope == "http://a/v1/"
    assert Endpoint("m", "http://b/v1", replicas=("http://a/v1/",)).cache_scope == (
        "http://a/v1/ http://b/v1/"
    )


def test_the_judge_takes_several_urls_too(pytester, serve):
    script = simple_qa_script()
    model = serve(script)

    def slow(request: dict) -> Reply:
        reply = script(request)
        reply.delay = 0.05
        return reply

    judges = [serve(slow), serve(slow)]
    _, report, _ = run_simple_qa(
        pytester, model, "simple_qa", f"--llm-data=simple_qa={SIMPLE_QA}",
        *(f"--llm-judge-base-url={judge.base_url}" for judge in judges),
    )  # fmt: skip
    rows = {(r["metric"], r["subset"]): r["score"] for r in report["rows"]}
    assert rows["is_correct", "OVERALL"] == pytest.approx(0.6)
    assert [chats(judge) for judge in judges] == [5, 5]  # fewest in flight: one each in turn
    assert chats(model) == 10
    assert {lane["url"] for lane in report["meta"]["endpoints"]["judge"]} == {
        judge.base_url for judge in judges
    }


def test_a_failing_endpoint_rests_and_is_probed_before_it_gets_traffic_again(serve):
    flaky = Replica(fail_after=0)
    a, b = replicas(serve, flaky, Replica())

    async def scenario() -> list:
        endpoint = Endpoint("m", a.base_url, replicas=(b.base_url,))
        router = router_for(endpoint, timeout=5.0, retries=5, stream=False, cache=None, ceiling=4)
        for lane in router.lanes:
            lane.cool_down = 1.0
        question = [{"role": "user", "content": "Find the sum of all integer bases."}]
        try:
            for _ in range(FAILURES_TO_REST):  # each fails on a, then is answered by b
                await router.client.chat(question)
            assert router.lanes[0].resting_until is not None
            flaky.fail_after = None  # a recovers
            await asyncio.sleep(1.1)
            for _ in range(6):
                await router.client.chat(question)
                await asyncio.sleep(0.05)
            return router.stats()
        finally:
            await router.aclose()

    stats = asyncio.run(scenario())
    assert a.paths[:FAILURES_TO_REST] == [CHAT] * FAILURES_TO_REST
    assert a.paths[FAILURES_TO_REST] == "/v1/models"  # probed before its next call
    assert chats(a) > FAILURES_TO_REST  # back in service
    assert (stats[0]["errors"], stats[0]["rests"]) == (FAILURES_TO_REST, 1)
    assert stats[1]["calls"] == chats(b) >= FAILURES_TO_REST


def test_under_xdist_the_workers_figures_reach_the_report(serve, llmeval):
    a, b = replicas(serve, Replica(), Replica())
    run = llmeval(a.base_url, f"--llm-base-url={b.base_url}", "-n", "2", subprocess=True)
    assert_all_scored(run, SAMPLES)
    lanes = model_lanes(run)
    assert (lanes[a.base_url]["calls"], lanes[b.base_url]["calls"]) == (chats(a), chats(b))
    assert chats(a) + chats(b) == SAMPLES


def test_a_bad_rate_is_one_usage_error(serve, llmeval):
    server = serve(aime_oracle)
    run = llmeval(server.base_url, "--llm-rate=fast")
    assert run.ret == USAGE_ERROR
    assert "ERROR: --llm-rate: expected a number, got 'fast'" in run.result.errlines
    assert server.requests == []
