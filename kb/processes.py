"""Work done in forked child processes: in the background while this process goes on (the
build's Whoosh writer, half of the site's pages) and in a pool of workers (the analysis).

Forked children share this process's memory copy-on-write, so they need nothing pickled but
their results. Where fork is not available, the work runs in this process. Imports nothing of kb.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator


class ChildFailed(Exception):
    """Work in a child process failed; the message says what and why, in one line."""


# each background child waited for: (its function's name, seconds from start to end, seconds of
# CPU it used, user and system); a build reports them (kaigo-kb build --timings)
finished: list[tuple[str, float, float]] = []


def in_background(fn, *args, error: type[ChildFailed] = ChildFailed):
    """Start ``fn(*args)`` in a forked child; return a function that waits for it and returns
    what ``fn`` returned (pickled across), or raises ``error`` with the child's error in one line.
    Where fork is not available, ``fn`` runs at once and the function returned gives its result."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        result = fn(*args)
        return lambda: result
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
    child.start()
    send.close()

    def wait():
        try:
            failure, result, times = receive.recv()
        except EOFError:  # the child died before it could say why
            failure = result = times = None
        child.join()
        if failure or child.exitcode:
            raise error(failure or f"{fn.__name__} ended with exit code {child.exitcode}")
        finished.append((fn.__name__, *times))
        return result

    return wait


def _child(send, fn, args) -> None:
    import multiprocessing as mp
    import time

    # a child may start children of its own (the build's index child starts the browser index's);
    # its parent stops it if it ends first, and it waits for its own
    mp.current_process().daemon = False
    started, cpu = time.perf_counter(), time.process_time()
    try:
        result = fn(*args)
        send.send((None, result, (time.perf_counter() - started, time.process_time() - cpu)))
    except BaseException as e:  # the parent re-raises it as one line
        send.send((f"{fn.__name__}: {type(e).__name__}: {e}", None, None))
        raise SystemExit(1) from None


def detached(fn, *args, holding: int | None = None) -> None:
    """``fn(*args)`` in a process nothing waits for: it goes on after this one has ended (work whose
    result only a later process reads: the caches a finished build leaves). Its failures are its
    own (a cache not written costs a later build time, nothing else). ``holding``: the descriptor of
    a file the caller locked (:func:`kb.locations.locked`): it stays locked until ``fn`` ends, so a
    reader that takes the lock (:func:`kb.locations.cache_settled`) waits for what it writes; closed
    here. It keeps no other file of this process open (a build's lock, a pipe read to its end by
    whoever started this process). Where fork is not available, ``fn`` runs here."""
    if not forks():
        try:
            fn(*args)
        except Exception:  # (its failures are its own, as in a process of its own)
            pass
        finally:
            if holding is not None:
                os.close(holding)
        return
    # the worker closes what it inherited before this function returns: a lock this process holds
    # (a build's, on its folder) is free for the next process as soon as this one lets it go
    closed, closing = os.pipe()
    pid = os.fork()
    if pid == 0:  # forks the worker and ends at once: the worker is nobody's child to wait for
        try:
            if os.fork() == 0:
                try:
                    import gc

                    # no collection: an object of this process's past would close, when collected, the
                    # number its file had, which a file opened here may hold by then
                    gc.disable()
                    null = os.open(os.devnull, os.O_RDWR)
                    for n in (0, 1, 2):
                        os.dup2(null, n)
                    keep = holding if holding is not None else null
                    os.closerange(3, keep)
                    os.closerange(keep + 1, 1 << 16)  # (``closing`` too: the caller goes on)
                    fn(*args)
                finally:
                    os._exit(0)
        finally:
            os._exit(0)
    os.close(closing)
    os.waitpid(pid, 0)
    os.read(closed, 1)  # end of file once the worker has closed its copy of ``closing``, with the rest
    os.close(closed)
    if holding is not None:
        os.close(holding)  # (the worker holds the lock until it ends)


def forks() -> bool:
    """Whether work can go to forked children here (else :func:`in_background` runs it at once)."""
    import multiprocessing as mp

    return "fork" in mp.get_all_start_methods()


class Handover:
    """A value a forked child receives after it started: the child does what it can without it,
    then :meth:`take` waits for what this process :meth:`give` s. Made before the child is forked
    (both inherit it). The value goes through an unnamed temporary file, its length through a pipe:
    giving never waits for the child, however large the value. :meth:`close` (this process, on
    failure) makes a waiting :meth:`take` raise instead of waiting for ever."""

    def __init__(self):
        import tempfile

        self._file = tempfile.TemporaryFile()
        self._read, self._write = os.pipe()

    def give(self, value) -> None:
        """In the process that made it: hand ``value`` (pickled) over, once."""
        import pickle

        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        os.pwrite(self._file.fileno(), data, 0)
        os.write(self._write, len(data).to_bytes(8, "little"))  # 8 bytes: a pipe takes them at once
        self.close()

    def close(self) -> None:
        if self._write is not None:
            os.close(self._write)
            os.close(self._read)
            self._file.close()
            self._write = None

    def take(self):
        """In the child: the value given, once it is (ChildFailed when the giver closed without)."""
        import pickle

        os.close(self._write)  # this child's copy: the giver's is then the only one left
        size = b""
        while len(size) < 8:
            got = os.read(self._read, 8 - len(size))
            if not got:
                raise ChildFailed("the process that was to hand over the value stopped")
            size += got
        n, data = int.from_bytes(size, "little"), b""
        while len(data) < n:
            got = os.pread(self._file.fileno(), n - len(data), len(data))
            if not got:
                raise ChildFailed("the value handed over was cut short")
            data += got
        return pickle.loads(data)


@contextmanager
def workers(n: int | None = None) -> Iterator:
    """A pool of ``n`` worker processes (two on two cores) forked now: a build opens it before it
    loads its corpus, so a worker carries only what it loads itself (a Sudachi dictionary), not
    the build's memory. None where fork is not available."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        yield None
        return
    with mp.get_context("fork").Pool(n or min(os.cpu_count() or 1, 2)) as pool:
        yield pool


def in_children(fn, jobs: list, workers: int = 1, pool=None):
    """``fn(job)`` for every job, in order, computed in child processes, so that what they load
    (a Sudachi dictionary) never weighs on this process: in ``pool`` (see :func:`workers`; the
    jobs are sent at once, the results read as they are asked for), else in ``workers`` processes
    forked when the first result is asked for; in this process where fork is not available."""
    import multiprocessing as mp

    if pool is not None:
        return pool.imap(fn, jobs)
    if "fork" not in mp.get_all_start_methods():
        return map(fn, jobs)
    return _forked(fn, jobs, workers)


def _forked(fn, jobs: list, workers: int):
    import multiprocessing as mp

    with mp.get_context("fork").Pool(max(1, min(workers, len(jobs)))) as forked:
        yield from forked.imap(fn, jobs)
