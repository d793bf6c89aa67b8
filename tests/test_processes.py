"""kb.processes: a value handed over to a forked child after it started."""
from __future__ import annotations

import time

import pytest

from kb.processes import ChildFailed, Handover, in_background


def _waits_for(take, started: str):
    with open(started, "w"):
        pass
    return take()


def test_a_child_takes_what_is_given_after_it_started(tmp_path):
    handover = Handover()
    started = tmp_path / "started"
    waiting = in_background(_waits_for, handover.take, str(started))
    while not started.exists():
        time.sleep(0.01)
    value = {"services": [(f"q{n}", ["特養", "老健"]) for n in range(50_000)], "linked": frozenset({"a.html"})}
    t = time.perf_counter()
    handover.give(value)  # megabytes, more than a pipe holds: given without waiting for the child to read
    assert time.perf_counter() - t < 5
    assert waiting() == value


def test_a_child_waiting_for_a_value_never_given_stops_when_the_giver_closes():
    handover = Handover()
    waiting = in_background(handover.take)
    time.sleep(0.2)
    handover.close()
    with pytest.raises(ChildFailed, match="stopped"):
        waiting()
    handover.close()  # twice: nothing more


def _fails():
    raise ValueError("broken before it took anything")


def test_giving_to_a_child_that_failed_before_it_took_does_not_fail():
    handover = Handover()
    with pytest.raises(ChildFailed, match="broken"):
        in_background(_fails)()
    handover.give([1, 2, 3])  # (the child's failure is what its waiter reports)
