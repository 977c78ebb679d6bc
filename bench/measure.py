"""CPU seconds and peak memory of one child process and everything it starts.

The command runs under a small reaper (``python bench/measure.py CMD...``, a Linux child
subreaper): every descendant, even one its parent never waits for (a pool's fork server), ends
up reaped by it, so ``os.wait4`` on the reaper gives the CPU of the whole tree whatever the
program under test does internally, and the benchmark's own work (page server, polling) is
never counted. ``ru_maxrss`` is the largest single process; a poller also sums the
proportional set size (PSS: pages shared by forked workers counted once) of the whole process
tree from /proc, which is what the machine must hold when work is spread over several
processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Usage:
    cpu: float  # user + system seconds of the child and its reaped descendants
    wall: float
    max_rss_mib: float  # largest single process (ru_maxrss)
    tree_rss_mib: float  # peak of the summed PSS of the process tree (sampled)
    returncode: int
    stdout: str
    stderr: str


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _memory(pid: int) -> int:
    """Proportional set size in bytes: pages shared with forked siblings count once overall."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except OSError:
        return 0


def _tree_rss(root: int) -> int:
    """Summed PSS of ``root``'s descendants (the reaper itself is not the program measured)."""
    tree = _children()
    total, todo = 0, list(tree.get(root, []))
    while todo:
        pid = todo.pop()
        todo += tree.get(pid, [])
        total += _memory(pid)
    return total


def env() -> dict[str, str]:
    """The environment for children: this checkout's code first on the path."""
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), out.get("PYTHONPATH")) if p)
    return out


def policywatch() -> list[str]:
    """The command that runs this checkout's CLI with the current interpreter."""
    return [sys.executable, "-m", "monitor.cli"]


def run(cmd: list[str], *, cwd: str | Path | None = None, poll: float = 0.05) -> Usage:
    """Run ``cmd`` to completion; its CPU, wall time and peak memory."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *cmd],
        cwd=cwd,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(poll)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out: list[str] = []
    err: list[str] = []
    readers = [
        threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True),  # type: ignore[union-attr]
        threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True),  # type: ignore[union-attr]
    ]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    for r in readers:
        r.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Usage(
        cpu=usage.ru_utime + usage.ru_stime,
        wall=wall,
        max_rss_mib=usage.ru_maxrss / 1024,
        tree_rss_mib=peak / 2**20,
        returncode=proc.returncode,
        stdout="".join(out),
        stderr="".join(err),
    )


def reap(cmd: list[str], linger: float = 30.0) -> int:
    """Run ``cmd``, then reap every descendant left behind; exit with ``cmd``'s status."""
    import ctypes
    import signal

    pr_set_child_subreaper = 36
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0)
    child = subprocess.Popen(cmd)
    code = child.wait()
    deadline = time.monotonic() + linger
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return code
        if pid == 0:
            if time.monotonic() > deadline:  # a descendant that does not end: ours to stop
                for orphan in _children().get(os.getpid(), []):
                    os.kill(orphan, signal.SIGKILL)
            time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(reap(sys.argv[1:]))
