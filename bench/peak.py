"""A process's peak memory, for the benchmark's child processes."""
from __future__ import annotations


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: Linux's VmHWM, which starts afresh when the
    process starts its program. ``getrusage``'s ``ru_maxrss`` would not: Linux keeps it across
    exec, so a child started by a large benchmark process reported that process's memory."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
