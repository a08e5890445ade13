"""Run a command as the terminal's foreground job: `python scripts/foreground.py COMMAND [ARG...]`.

Ctrl-C then reaches the command (which stops the platform cleanly and exits 0) and not make,
which would otherwise die of the signal and report the recipe as failed. The terminal is found
through /dev/tty, so this holds when make's output is piped (`make run | tee run.log`). Without a
terminal, or when make runs in the background, the command simply runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys


def _terminal() -> int | None:
    """The controlling terminal, when our process group holds it in the foreground."""
    try:
        tty = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        return None
    try:
        if os.tcgetpgrp(tty) == os.getpgrp():
            return tty
    except OSError:
        pass
    os.close(tty)
    return None


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: foreground.py COMMAND [ARG...]", file=sys.stderr)
        return 2
    tty = _terminal()
    if tty is None:
        return subprocess.call(argv)  # noqa: S603 (the Makefile's own command)
    child = subprocess.Popen(argv, process_group=0)  # noqa: S603 (the Makefile's own command)
    # A background process group may not change the terminal's owner without SIGTTOU's leave.
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.tcsetpgrp(tty, child.pid)
    try:
        status = child.wait()
    finally:
        os.tcsetpgrp(tty, os.getpgrp())
        os.close(tty)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
