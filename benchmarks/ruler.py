"""Does the ruler hold on every benchmark domain? The shipped features' ladder per domain.

    python benchmarks/ruler.py --workdir DIR [--domains openmoji twemoji fluent-emoji]
        [--write-docs]

Renders each domain of benchmarks/_domains.py at 64x64 (never seen by the shipped network, which
is trained on another pool), then scores its ladder in the shipped feature space with
`ganzoo.metrics.ladder`, exactly as ``ganzoo eval`` does: held-out real pictures, blur 1/2/3,
hue +30 degrees, saturation halved, a faint lattice, JPEG at quality 10 and uniform noise, each
against the real reference half. Prints one Markdown table per domain and whether the ruler
orders it (held-out real < blur 1 < blur 2 < blur 3 < noise on FID and on KID; colour, lattice
and JPEG clearly above held-out real: `ganzoo.metrics._ladder.ordered`). ``--write-docs`` puts
the tables into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from _markdown import replace_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TITLE, START, END = ("The ruler on every domain", "<!-- ruler.py:start -->",
                     "<!-- ruler.py:end -->")
SIZE = 64


def domain_table(name: str, folder: Path) -> tuple[str, bool]:
    from ganzoo.metrics import Evaluator, ladder
    from ganzoo.metrics._ladder import ordered

    started = time.perf_counter()
    evaluator = Evaluator.for_data(str(folder), SIZE, 3, features="shipped")
    rungs = ladder(evaluator)
    seconds = time.perf_counter() - started
    holds = ordered(rungs)
    count = len(evaluator.sample.images)
    lines = [f"**{name}** ({count} pictures, {rungs['held-out real'].samples} per side; "
             f"{seconds:.0f} s; ordered: {'yes' if holds else 'NO'})", "",
             "| rung | FID | KID x1000 | precision | recall | spectral distance |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {rung} | {m.fid:.2f} | {1000 * m.kid:.1f} | {m.precision:.3f} | "
              f"{m.recall:.3f} | {m.spectral_distance:.3f} |" for rung, m in rungs.items()]
    return "\n".join(lines), holds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--domains", nargs="+", default=["openmoji", "twemoji", "fluent-emoji"])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    import _domains

    from ganzoo.metrics import shipped_network

    network = shipped_network()
    tables, holds = [], []
    for name in args.domains:
        folder = _domains.render(name, args.workdir / f"{name}-{SIZE}", SIZE)
        table, ok = domain_table(name, folder)
        print(table + "\n", flush=True)
        tables.append(table)
        holds.append(ok)
    header = (f"Produced by `python benchmarks/ruler.py --workdir DIR --domains "
              f"{' '.join(args.domains)} --write-docs`, features {network.name} (fingerprint "
              f"{network.short_fingerprint}); FID, KID, precision and recall in that feature "
              f"space, the spectral distance on pixels. Each domain at {SIZE}x{SIZE} on white; "
              f"none was in the network's training pool.")
    if args.write_docs:
        replace_section(ROOT / "docs" / "benchmarks.md", TITLE, START, END,
                        header + "\n\n" + "\n\n".join(tables))
    return 0 if all(holds) else 1


if __name__ == "__main__":
    sys.exit(main())
