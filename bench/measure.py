#!/usr/bin/env python3
"""Run one command and report its wall time and peak memory (stdlib only).

    measure.py LOG -- CMD [ARGS...]

Prints one line: `SECONDS<TAB>MAX_RSS_KB<TAB>EXIT` and always exits 0 (the command's exit code is
in the line). The command's stdout and stderr go to LOG. The clock starts right before the
spawn and stops when wait4() returns, so Python's own start-up is outside the timed region.
MAX_RSS_KB is the command's peak resident set size as GNU time (/usr/bin/time, package `time`)
reports it ("Maximum resident set size", %M): the command runs under `/usr/bin/time -f %M`, which
adds well under a millisecond to the wall time. Not wait4() here: ru_maxrss also counts the forked
Python process before exec (about 10 MB), GNU time's own floor is about 1 MB. Without GNU time
the wait4 number is printed, marked with a trailing `~`. For a command that is a wrapper, it is
the largest single process of the tree, not the sum.
"""
import os
import sys
import tempfile
import time


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        sys.stderr.write(__doc__)
        return 2
    log, cmd = argv[1], argv[3:]
    gnu_time = "/usr/bin/time"
    rss_file = None
    if os.access(gnu_time, os.X_OK):
        fd_rss, rss_file = tempfile.mkstemp(prefix="measure-rss-")
        os.close(fd_rss)
        cmd = [gnu_time, "-f", "%M", "-o", rss_file, *cmd]
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    devnull = os.open(os.devnull, os.O_RDONLY)
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(devnull, 0)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    t1 = time.perf_counter()
    code = os.waitstatus_to_exitcode(status)
    rss = f"{ru.ru_maxrss}~"
    if rss_file:
        try:
            with open(rss_file) as f:
                lines = [l.strip() for l in f if l.strip()]
            os.remove(rss_file)
            # GNU time writes "Command exited with non-zero status N" before the number
            rss = lines[-1] if lines and lines[-1].isdigit() else rss
        except OSError:
            pass
    print(f"{t1 - t0:.6f}\t{rss}\t{code}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
