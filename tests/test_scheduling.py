"""Under `--dist load` every worker's queue stays deep enough for its look-ahead, to the end,
and no item is handed out twice (xdist's scheduler driven the way its controller drives it)."""

from __future__ import annotations

import pytest

from pytest_llmeval.lookahead import deep_load_scheduling


class Worker:
    """What the scheduler sees of a worker: it is sent items and told to shut down."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.gateway = type("Gateway", (), {"id": name})()
        self.queue: list[int] = []
        self.received: list[int] = []
        self.shutting_down = False

    def send_runtest_some(self, indices: list[int]) -> None:
        self.queue += indices
        self.received += indices

    def shutdown(self) -> None:
        self.shutting_down = True


def drive(scheduler, items: int, slow: str) -> tuple[list[Worker], list[int]]:
    """Two workers; `slow` takes 0.5 s an item (the other 0.01 s) and so runs one item for
    every five of the other. Returns the workers and the shallowest queue seen before the last
    item was handed out."""
    workers = [Worker("fast"), Worker("slow")]
    collection = [f"t.py::test[{i}]" for i in range(items)]
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, collection)
    scheduler.schedule()
    shallowest = []
    clock = 0
    while any(worker.queue for worker in workers):
        clock += 1
        for worker in workers:
            if worker.queue and (worker.name == "fast" or clock % 5 == 0):
                duration = 0.5 if worker.name == slow else 0.01
                scheduler.mark_test_complete(worker, worker.queue.pop(0), duration)
                if scheduler.pending:
                    shallowest.append(len(worker.queue))
    return workers, shallowest


@pytest.mark.parametrize("slow", ["slow", "fast"])  # the slow worker's items take 0.5 s or not
def test_every_worker_holds_its_depth_until_the_last_item_is_handed_out(pytester, slow):
    config = pytester.parseconfig("--tx", "2*popen", "--dist", "load")
    scheduler = deep_load_scheduling(config, None, depth=40)
    workers, shallowest = drive(scheduler, 1000, slow)
    assert min(shallowest) >= 39  # one item below depth while the next share is on its way
    received = sorted(i for worker in workers for i in worker.received)
    assert received == list(range(1000))  # each item once: nothing taken back or sent twice
    assert all(worker.shutting_down for worker in workers)
    fast, slow_worker = workers
    assert len(fast.received) > 3 * len(slow_worker.received)  # the load still balances


def test_xdist_own_load_scheduling_lets_the_queues_run_dry(pytester):
    """The reason for the above: stock `--dist load` stops refilling a worker whose items take
    0.1 s or more, and hands out less as the run goes on."""
    from xdist.scheduler import LoadScheduling

    config = pytester.parseconfig("--tx", "2*popen", "--dist", "load")
    _, shallowest = drive(LoadScheduling(config, None), 1000, "slow")
    assert min(shallowest) < 10
