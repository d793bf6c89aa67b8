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


def test_a_detached_process_lets_go_of_the_files_it_inherited_before_the_caller_goes_on(tmp_path, monkeypatch):
    """A lock the caller holds (a build's, on its folder) is free once the caller lets it go, however
    late the detached process gets to closing what it inherited: a second build started at once is
    not refused."""
    import fcntl
    import os

    from kb.processes import detached

    real_dup2 = os.dup2

    def late_dup2(*args):  # (the detached process is slow to start: a busy machine)
        time.sleep(0.5)
        return real_dup2(*args)

    path = tmp_path / "lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    monkeypatch.setattr(os, "dup2", late_dup2)
    detached(time.sleep, 2)
    monkeypatch.undo()
    os.close(fd)
    again = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(again, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError while the detached process holds it
    finally:
        os.close(again)
