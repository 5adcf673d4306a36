"""How long ``ganzoo --help``, ``ganzoo list`` and ``ganzoo plugins`` take, against importing
TensorFlow, side by side on this machine.

    python benchmarks/cli_startup.py [--repeats 5]

Each command runs in a fresh process (``python -m ganzoo ...``, what the ``ganzoo`` script
runs), as does ``python -c "import tensorflow"``. The four are run in turn, `--repeats` rounds,
so that a machine that slows down halfway slows all four alike; each figure is the median of
its rounds, and the ratio is that median over the median of importing TensorFlow. These three
commands import no TensorFlow (tests/test_cli.py checks it), so on a busy machine the
ratio stays meaningful where the seconds do not.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

BASELINE = ("import tensorflow", [sys.executable, "-c", "import tensorflow"])
COMMANDS = [(f"ganzoo {' '.join(args)}", [sys.executable, "-m", "ganzoo", *args])
            for args in (["--help"], ["list"], ["plugins"])]

# An installed package has its bytecode compiled (pip compiles it; Python caches it on first
# import). Where PYTHONDONTWRITEBYTECODE is set, every process would compile ganzoo's sources
# again (about 0.1 s here) while TensorFlow's come compiled from pip.
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def seconds(argv: list[str]) -> float:
    """Wall time of one process, from start to exit; its output is discarded."""
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env=ENVIRONMENT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="rounds (default 5)")
    args = parser.parse_args()
    rows = [BASELINE, *COMMANDS]
    load = os.getloadavg()[0]
    times: dict[str, list[float]] = {name: [] for name, _ in rows}
    for _, argv in rows:  # a first round, not counted, fills the caches
        seconds(argv)
    for _ in range(args.repeats):
        for name, argv in rows:
            times[name].append(seconds(argv))
    baseline = statistics.median(times[BASELINE[0]])
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {load:.2f} at the start; "
          f"median of {args.repeats} interleaved rounds\n")
    print("| command | median s | / import tensorflow |")
    print("|---|---:|---:|")
    for name, _ in rows:
        median = statistics.median(times[name])
        print(f"| `{name}` | {median:.3f} | {median / baseline:.3f} |")


if __name__ == "__main__":
    main()
