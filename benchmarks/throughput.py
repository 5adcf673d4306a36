"""Training throughput: ganzoo against the TensorFlow DCGAN tutorial, every architecture, input.

    python benchmarks/throughput.py --markdown docs/benchmarks.md   # the real run, ~13 min
    python benchmarks/throughput.py --only ganzoo-step,tf-tutorial --seconds 3 --windows 2

Every measurement runs in a fresh child process (this script with ``--child NAME``), so each
starts cold and its peak RSS is its own. Rows run in interleaved rounds: every round runs the
four comparison rows (ganzoo-step, ganzoo-train, tf-tutorial, keras-fit) and a share of the rows
that run once (variants, architectures, input pipeline), so drift on a shared or throttling
machine hits every row alike. In a child, the first step (tracing) and ``--warmup`` seconds after
it are not measured; then ``--windows`` windows of at least ``--seconds`` each, cut at step
boundaries, give one images/s each, and the child's figure is their median. A row's figure is
the median of its children's. benchmarks/README.md says what each row measures.

Not a unit test: figures depend on the machine, so run it on a quiet one.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import json
import os
import platform
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path

from _markdown import replace_section

SEED = 0
COMPARISON, VARIANT, ARCHITECTURE, INPUT = "comparison", "variant", "architecture", "input"
BUILT_IN_ARCHITECTURES = ("mlp-gan", "dcgan", "cgan", "sngan", "lsgan", "acgan")
PLUGIN_ARCHITECTURES = ("wgan-gp",)  # measured when their plugin is installed
TUTORIAL = "tutorial-dcgan"
# Seconds a child spends outside its windows (TensorFlow import, building, tracing, the first
# step, saving at the end of ganzoo.train): only for the duration estimate.
CHILD_OVERHEAD_SECONDS = 10
SECTIONS = {
    "training": ("Training throughput", "<!-- throughput.py:training:start -->",
                 "<!-- throughput.py:training:end -->"),
    "input": ("Input pipeline", "<!-- throughput.py:input:start -->",
              "<!-- throughput.py:input:end -->"),
}


# --- measuring, in a child --------------------------------------------------------------------

class StepClock:
    """Step boundaries of one measurement, and the images/s of its windows.

    `tick(images)` is called as each step ends. The first step (tracing, compiling, filling
    buffers) and `warmup` seconds after it are left out; then `windows` consecutive windows of
    at least `seconds` each are cut at step boundaries, so no step is split between two.
    """

    def __init__(self, seconds: float, windows: int, warmup: float) -> None:
        self.seconds, self.windows, self.warmup = seconds, windows, warmup
        self.times: list[float] = []
        self.images: list[int] = []
        self.start: int | None = None  # index of the step whose end opens the first window

    def tick(self, images: int) -> bool:
        """Record a step that just ended; return False once the last window is complete."""
        now = time.perf_counter()
        self.times.append(now)
        self.images.append(images)
        if self.start is None:
            if len(self.times) > 1 and now - self.times[0] >= self.warmup:
                self.start = len(self.times) - 1
            return True
        return now - self.times[self.start] < self.seconds * self.windows

    def window_ends(self) -> list[int]:
        """Index of the step that closes each complete window."""
        if self.start is None:
            return []
        ends, last = [], self.start
        for k in range(1, self.windows + 1):
            boundary = self.times[self.start] + k * self.seconds
            end = next((i for i in range(last + 1, len(self.times))
                        if self.times[i] >= boundary), None)
            if end is None:
                break
            ends.append(end)
            last = end
        return ends

    def rates(self) -> list[float]:
        """Images/s of each complete window."""
        rates, begin = [], self.start
        for end in self.window_ends():
            rates.append(sum(self.images[begin + 1:end + 1])
                         / (self.times[end] - self.times[begin]))
            begin = end
        return rates

    def measured(self) -> range:
        """Indices of the steps inside the windows."""
        ends = self.window_ends()
        return range(self.start + 1, ends[-1] + 1) if ends else range(0)


def peak_rss_mb() -> float:
    """This process's peak resident set size (getrusage reports KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def current_rss_mb() -> float | None:
    """This process's resident set size now, where /proc tells (Linux); else None."""
    try:
        resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def tutorial_spec():
    """The TensorFlow DCGAN tutorial's networks as a ganzoo architecture, with its optimizer."""
    import _reference
    from ganzoo.plugin import ArchitectureSpec, Defaults, Paper

    return ArchitectureSpec(
        name=TUTORIAL,
        summary="The TensorFlow DCGAN tutorial's generator and discriminator.",
        paper=Paper("TensorFlow tutorial: Deep Convolutional Generative Adversarial Network",
                    "https://www.tensorflow.org/tutorials/generative/dcgan"),
        build_generator=lambda shape, classes, latent_dim: _reference.make_generator_model(
            latent_dim),
        build_discriminator=lambda shape, classes: _reference.make_discriminator_model(shape),
        defaults=Defaults(latent_dim=100, batch_size=256, loss="nonsaturating",
                          generator_lr=1e-4, discriminator_lr=1e-4, beta_1=0.9, beta_2=0.999),
        image_sizes=(28,), channels=(1,),
    )


def _registry_for(arch: str):
    if arch == TUTORIAL:
        from ganzoo.testing import registry_with

        return registry_with(tutorial_spec(), builtins=True)
    from ganzoo.registry import default_registry

    return default_registry()


def _unsupported(options: dict) -> dict:
    """Say so if `ganzoo.train` lacks one of `options` (precision and xla arrive in another
    change; until then their rows read "not available")."""
    import inspect

    import ganzoo

    accepted = inspect.signature(ganzoo.train).parameters
    missing = [name for name in options if name not in accepted]
    return {"unavailable": f"ganzoo.train has no {', '.join(missing)} option yet"} if missing \
        else {}


def _set_threads(threads: bool) -> None:
    if threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(os.cpu_count() or 1)
        tf.config.threading.set_inter_op_parallelism_threads(1)


def measure_ganzoo_step(arch: str, options: dict, clock: StepClock, workdir: Path,
                        threads: bool = False, data: str | None = None) -> dict:
    """ganzoo's compiled step and data pipeline, exactly as `ganzoo.train` builds them, called
    back to back.

    `ganzoo.train(arch, **options)` sets the run up (seed, deterministic ops, networks,
    optimizers, the input pipeline, the compiled step); a callback then calls the session's
    step back to back from `on_train_begin` and asks the session to stop before the loop
    starts: no progress bar, loss readback, logs, samples or checkpoints in the windows. The
    same set-up as the ``ganzoo-train`` row, whatever the step needs. `data` names one of
    `_pipeline.prepare`'s sources to train from instead of the bundled digits.
    """
    if unsupported := _unsupported(options):
        return unsupported
    _set_threads(threads)
    import ganzoo
    from ganzoo.plugin import Callback

    registry = _registry_for(arch)
    if arch not in registry.architectures():
        broken = "; ".join(f"{p.name}: {p.error}" for p in registry.plugins if not p.ok)
        return {"unavailable": f"{arch} is not installed"
                               + (f" (plugins that failed to load: {broken})" if broken else "")}
    if data:
        import _pipeline

        options = {**options, "data": _pipeline.prepare(data, workdir)}
    config = None

    class BareLoop(Callback):
        def on_train_begin(self, session) -> None:
            nonlocal config
            config = session.config
            while True:
                session.train_step()
                # As the trainer counts: real images, one batch per discriminator update.
                if not clock.tick(session.images_per_step):
                    break
            session.request_stop()

    ganzoo.train(arch, registry=registry, out=workdir / "runs", seed=SEED, progress=False,
                 callbacks=[BareLoop()], **options)
    return {"batch": config.batch_size, "discriminator_steps": config.discriminator_steps}


def measure_ganzoo_train(clock: StepClock, workdir: Path) -> dict:
    """`ganzoo.train` on the tutorial's networks with its default intervals.

    The run is the default 2000-step run (progress bar, a log line every 50 steps, a sample
    grid every 66, a checkpoint every 500), stopped once the windows are complete by a
    callback's stop request (the path Ctrl-C takes). The callback, last in line, timestamps
    each step's start and end, which also gives the time the loop spends between steps. Log
    lines, sample grids and checkpoints come too rarely to land in short windows, so each is
    timed on the finished session through the public callback interface and amortised over its
    interval.
    """
    import ganzoo
    from ganzoo.plugin import Callback
    from ganzoo.training.callbacks import SampleGrids

    entries: list[float] = []
    sessions: list = []

    class Timer(Callback):
        def on_train_begin(self, session) -> None:
            sessions.append(session)

        def on_step_begin(self, session, step: int) -> None:
            entries.append(time.perf_counter())

        def on_step_end(self, session, step: int, logs: dict) -> None:
            if not clock.tick(session.images_per_step):
                session.request_stop()  # the trainer finishes this step, saves, returns

    result = ganzoo.train(TUTORIAL, registry=_registry_for(TUTORIAL), out=workdir / "runs",
                          seed=SEED, callbacks=[Timer()])

    measured = clock.measured()
    steps = [clock.times[i] - entries[i] for i in measured]
    gaps = [entries[i + 1] - clock.times[i] for i in measured if i + 1 < len(entries)]
    config, session = result.run.config, sessions[0]
    grids = next(c for c in session.callbacks if isinstance(c, SampleGrids))
    record = {"step": result.step, "d_loss": 0.7, "g_loss": 0.7, "images_per_second": 100.0,
              "seconds": 1.0}
    # metrics.jsonl, first interval ignored; empty unless the run outlived two log intervals.
    logged = _logged_rates(result.run.metrics_path)[1:]
    periodic = {
        "log line": (_timed(lambda: session.log(dict(record))), config.log_every),
        "sample grid": (_timed(lambda: grids.save(session, result.step)), config.sample_every),
        "checkpoint": (_timed(session.save_checkpoint), config.checkpoint_every),
    }
    return {"batch": config.batch_size,
            "step_seconds": statistics.median(steps) if steps else None,
            "gap_seconds": statistics.median(gaps) if gaps else None,
            "periodic": periodic, "logged_rates": logged}


def _timed(action: Callable[[], object], repeats: int = 3) -> float | None:
    """Median seconds of `action`, or None if it fails (trainer internals may have moved)."""
    seconds = []
    try:
        for _ in range(repeats):
            started = time.perf_counter()
            action()
            seconds.append(time.perf_counter() - started)
    except Exception as error:  # noqa: BLE001 - reported as "not timed", never fatal
        print(f"not timed: {type(error).__name__}: {error}", file=sys.stderr)
        return None
    return statistics.median(seconds)


def _logged_rates(path: Path) -> list[float]:
    if not path.exists():
        return []
    records = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
               if line.strip())
    return [r["images_per_second"] for r in records if "images_per_second" in r]


def measure_tf_tutorial(clock: StepClock, workdir: Path) -> dict:
    import _reference

    _reference.run_tutorial(_reference.load_tutorial_images(), clock.tick)
    return {"batch": _reference.BATCH_SIZE}


def measure_keras_fit(clock: StepClock, workdir: Path) -> dict:
    import _reference

    _reference.run_keras_fit(_reference.load_tutorial_images(), clock.tick)
    return {"batch": _reference.BATCH_SIZE}


def measure_input(kind: str, clock: StepClock, workdir: Path) -> dict:
    import _pipeline

    return _pipeline.stream(_pipeline.prepare(kind, workdir), clock.tick)


def measure_input_memory(clock: StepClock, workdir: Path) -> dict:
    import _pipeline

    return _pipeline.stream_memory(workdir, current_rss_mb)


# --- the rows ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One line of a results table: what it runs, and the function that measures it."""

    name: str
    group: str
    what: str
    measure: Callable[[StepClock, Path], dict]


def all_rows() -> dict[str, Row]:
    step = measure_ganzoo_step
    rows = [
        Row("ganzoo-step", COMPARISON, "ganzoo's compiled step and input pipeline as "
            "`ganzoo.train` builds them, called back to back",
            functools.partial(step, TUTORIAL, {})),
        Row("ganzoo-train", COMPARISON, "`ganzoo.train()`: progress bar, log every 50 steps, "
            "sample grid every 66, checkpoint every 500", measure_ganzoo_train),
        Row("tf-tutorial", COMPARISON, "the TensorFlow tutorial's `train_step` and `tf.data` "
            "pipeline", measure_tf_tutorial),
        Row("keras-fit", COMPARISON, "keras-io structure: `Model.train_step` through `fit()`; "
            "two generator passes per step", measure_keras_fit),
        Row("ganzoo-step+bf16", VARIANT, "`precision=\"mixed_bfloat16\"`",
            functools.partial(step, TUTORIAL, {"precision": "mixed_bfloat16"})),
        Row("ganzoo-step+xla", VARIANT, "`xla=True`",
            functools.partial(step, TUTORIAL, {"xla": True})),
        Row("ganzoo-step-average", VARIANT, "`ema_decay=0`: no generator weight average "
            "(ganzoo's default keeps one, decay 0.999)",
            functools.partial(step, TUTORIAL, {"ema_decay": 0.0})),
        Row("ganzoo-step+nondeterministic", VARIANT, "`deterministic=False` (ganzoo's default "
            "is True)", functools.partial(step, TUTORIAL, {"deterministic": False})),
        Row("ganzoo-step+threads", VARIANT, "intra-op threads = cores, inter-op threads = 1 "
            "(TensorFlow's default sizes both pools from the core count)",
            functools.partial(step, TUTORIAL, {}, threads=True)),
    ]
    for arch in BUILT_IN_ARCHITECTURES + PLUGIN_ARCHITECTURES:
        rows.append(Row(arch, ARCHITECTURE, "as ganzoo-step, at the architecture's defaults",
                        functools.partial(step, arch, {})))
        if arch == "mlp-gan":  # the fastest: the one most likely to wait for its input
            rows.append(Row("input:jpeg+mlp-gan", INPUT, "mlp-gan training from the JPEG folder",
                            functools.partial(step, "mlp-gan", {}, data="jpeg")))
    rows += [
        Row("input:digits", INPUT, "`digits`, held in memory",
            functools.partial(measure_input, "digits")),
        Row("input:jpeg", INPUT, "a folder of 2,000 JPEGs, 28x28, decoded from disk",
            functools.partial(measure_input, "jpeg")),
        Row("input:npz", INPUT, "the digits in an `.npz` file",
            functools.partial(measure_input, "npz")),
        Row("input:memory", INPUT, "RSS while streaming a folder", measure_input_memory),
    ]
    return {row.name: row for row in rows}


def installed_rows(rows: dict[str, Row]) -> dict[str, Row]:
    """Every row but those of plugin architectures that are not installed."""
    plugins = {entry.name for entry in metadata.entry_points(group="ganzoo")}
    return {name: row for name, row in rows.items()
            if name not in PLUGIN_ARCHITECTURES or name in plugins}


def child_main(args: argparse.Namespace) -> int:
    row = all_rows()[args.child]
    clock = StepClock(args.seconds, args.windows, args.warmup)
    # Imported before the baseline reading, so that it is what every row pays before its work.
    import keras  # noqa: F401
    import tensorflow  # noqa: F401

    import ganzoo.data.folder  # noqa: F401
    import ganzoo.training  # noqa: F401

    baseline = current_rss_mb()
    extra = row.measure(clock, Path(args.workdir))
    result = {"rates": clock.rates(), "steps": len(clock.measured()), "baseline_rss_mb": baseline,
              "peak_rss_mb": peak_rss_mb(), **extra}
    Path(args.result).write_text(json.dumps(result), encoding="utf-8")
    return 0


# --- running the children, in the parent ------------------------------------------------------

@dataclass
class Outcome:
    """What the children of one row reported."""

    row: Row
    runs: list[dict] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    unavailable: str | None = None

    @property
    def medians(self) -> list[float]:
        return [statistics.median(run["rates"]) for run in self.runs if run["rates"]]

    @property
    def rate(self) -> float | None:
        return statistics.median(self.medians) if self.medians else None

    def median_of(self, key: str) -> float | None:
        values = [run[key] for run in self.runs if run.get(key) is not None]
        return statistics.median(values) if values else None


def schedule(rows: list[Row], rounds: int) -> list[tuple[int, Row]]:
    """Every round runs the comparison rows, then its share of the rows that run once, so the
    comparison rows are sampled evenly over the whole run. Shares are contiguous, so rows listed
    next to each other (mlp-gan and mlp-gan trained from JPEGs) also run next to each other."""
    repeated = [row for row in rows if row.group == COMPARISON]
    once = [row for row in rows if row.group != COMPARISON]
    rounds = rounds if repeated else 1
    share = -(-len(once) // rounds)  # ceiling division
    plan = []
    for number in range(1, rounds + 1):
        plan += [(number, row) for row in repeated]
        plan += [(number, row) for row in once[(number - 1) * share:number * share]]
    return plan


def run_child(row: Row, number: int, args: argparse.Namespace, workdir: Path) -> dict:
    folder = workdir / f"{number}-{row.name.replace(':', '-')}"
    folder.mkdir(parents=True, exist_ok=True)
    result, log = folder / "result.json", folder / "log.txt"
    result.unlink(missing_ok=True)  # a --workdir may hold one from an earlier run
    command = [sys.executable, str(Path(__file__).resolve()), "--child", row.name,
               "--seconds", str(args.seconds), "--windows", str(args.windows),
               "--warmup", str(args.warmup), "--workdir", str(folder), "--result", str(result)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    limit = 600 + 3 * (args.warmup + args.windows * args.seconds)
    with open(log, "w", encoding="utf-8") as output:
        try:
            status = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, env=env,
                                    timeout=limit).returncode
        except subprocess.TimeoutExpired:
            status = None
    if status == 0 and result.exists():
        return json.loads(result.read_text(encoding="utf-8"))
    # TensorFlow's own log lines (I0000..., E0000...) would crowd out the traceback.
    lines = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
             if not re.match(r"[IWE]\d{4} ", line)]
    why = f"timed out after {limit:.0f} s" if status is None else f"exit status {status}"
    return {"error": f"{why}; the end of its output:\n    " + "\n    ".join(lines[-12:])}


def run_all(rows: list[Row], args: argparse.Namespace, workdir: Path) -> dict[str, Outcome]:
    outcomes = {row.name: Outcome(row) for row in rows}
    plan = schedule(rows, args.rounds)
    for index, (number, row) in enumerate(plan, 1):
        outcome = outcomes[row.name]
        if outcome.unavailable:
            continue
        started = time.perf_counter()
        report = run_child(row, number, args, workdir)
        took = time.perf_counter() - started
        if "error" in report:
            outcome.failures.append(report["error"])
            said = "FAILED: " + report["error"]
        elif "unavailable" in report:
            outcome.unavailable = report["unavailable"]
            said = "not available: " + report["unavailable"]
        else:
            outcome.runs.append(report)
            rates = report["rates"]
            if rates:
                said = (f"{statistics.median(rates):,.0f} images/s (windows: "
                        f"{', '.join(f'{r:,.0f}' for r in rates)})")
            elif "rss_n_mb" in report:
                said = (f"RSS {_mb(report['rss_n_mb'])} after {report['batches']} batches, "
                        f"{_mb(report['rss_10n_mb'])} after {10 * report['batches']}")
            else:
                said = "no complete window: raise --seconds or lower --warmup"
        print(f"[{index}/{len(plan)}] round {number} {row.name}: {said} ({took:.0f} s)",
              flush=True)
    return outcomes


# --- reporting --------------------------------------------------------------------------------

def _rate(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _ratio(value: float | None, reference: float | None) -> str:
    if not (value and reference):
        return "—"
    ratio = value / reference
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.2f}x"


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} MiB"


def _spread(outcome: Outcome) -> str:
    medians = outcome.medians
    if len(medians) < 2:
        return "—"
    return f"{_rate(min(medians))}–{_rate(max(medians))}"


def _status(outcome: Outcome) -> str | None:
    """Why a row has no figure, or None if it has one."""
    if outcome.unavailable:
        return f"not available: {outcome.unavailable}"
    if outcome.rate is None:
        return "failed (see the run's output)" if outcome.failures else "not measured"
    return None


def machine() -> dict[str, str]:
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        cpu = re.search(r"^Model name:\s*(.+)$", lscpu, re.M).group(1).strip()
    except (OSError, subprocess.CalledProcessError, AttributeError):
        cpu = platform.processor() or platform.machine()

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {"cpu": cpu, "cores": str(os.cpu_count()), "python": platform.python_version(),
            "tensorflow": version("tensorflow"), "keras": version("keras"),
            "ganzoo": version("ganzoo")}


def provenance(info: dict, args: argparse.Namespace, command: str, seconds: float,
               load: tuple[float, float]) -> str:
    return (f"Measured on {date.today().isoformat()} by `{command}` ({seconds / 60:.0f} min) on "
            f"{info['cpu']}, {info['cores']} cores (load average {load[0]:.2f} before, "
            f"{load[1]:.2f} after); Python {info['python']}, TensorFlow {info['tensorflow']}, "
            f"Keras {info['keras']}, ganzoo {info['ganzoo']}. CPU only, float32 unless a row "
            f"says otherwise. Each process: the first step and {args.warmup:g} s left out, then "
            f"the median images/s of {args.windows} windows of at least {args.seconds:g} s. "
            f"What each row runs and how: [benchmarks/README.md](../benchmarks/README.md).")


def training_section(outcomes: dict[str, Outcome], args: argparse.Namespace,
                     header: str) -> str:
    lines = [header, ""]
    comparison = [o for o in outcomes.values() if o.row.group == COMPARISON]
    if comparison:
        tutorial = outcomes.get("tf-tutorial")
        reference = tutorial.rate if tutorial else None
        lines += [
            "### ganzoo against the TensorFlow DCGAN tutorial", "",
            f"The tutorial's networks, the bundled digits at 28x28x1, batch 256. Each figure is "
            f"the median over {args.rounds} interleaved round(s), one fresh process each; the "
            f"spread is the slowest and the fastest process.", "",
            "| row | what it runs | images/s | spread | vs tf-tutorial | peak RSS |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for o in comparison:
            status = _status(o)
            cells = ([status, "", "", ""] if status else
                     [_rate(o.rate), _spread(o), _ratio(o.rate, reference),
                      _mb(o.median_of("peak_rss_mb"))])
            lines.append(f"| {o.row.name} | {o.row.what} | " + " | ".join(cells) + " |")
        lines += ["", *overhead_lines(outcomes)]
    variants = [o for o in outcomes.values() if o.row.group == VARIANT]
    if variants:
        baseline = outcomes.get("ganzoo-step")
        base_rate = baseline.rate if baseline else None
        lines += ["", "### Variants of ganzoo's step", "",
                  "The `ganzoo-step` row with one option of `ganzoo.train` changed, or "
                  "TensorFlow's thread pools; one process per variant.", "",
                  "| variant | change | images/s | vs ganzoo-step | peak RSS |",
                  "|---|---|---:|---:|---:|"]
        for o in variants:
            status = _status(o)
            cells = ([status, "", ""] if status else
                     [_rate(o.rate), _ratio(o.rate, base_rate), _mb(o.median_of("peak_rss_mb"))])
            lines.append(f"| {o.row.name} | {o.row.what} | " + " | ".join(cells) + " |")
    architectures = [o for o in outcomes.values() if o.row.group == ARCHITECTURE]
    if architectures:
        lines += ["", "### Built-in architectures at their defaults", "",
                  "ganzoo's training step (as the `ganzoo-step` row) with each architecture's "
                  "default batch size, on the digits at 28x28x1; one process each. An image is a "
                  "real image trained on, so WGAN-GP's 5 critic updates per step count 5 batches.",
                  "", "| architecture | batch | images/s | steps/s | peak RSS |",
                  "|---|---:|---:|---:|---:|"]
        for o in architectures:
            status = _status(o)
            if status:
                lines.append(f"| {o.row.name} | | {status} | | |")
                continue
            run = o.runs[0]
            per_step = run["batch"] * run.get("discriminator_steps", 1)
            lines.append(f"| {o.row.name} | {run['batch']} | {_rate(o.rate)} | "
                         f"{o.rate / per_step:.2f} | {_mb(o.median_of('peak_rss_mb'))} |")
    baselines = [run["baseline_rss_mb"] for o in outcomes.values() for run in o.runs
                 if run.get("baseline_rss_mb")]
    if baselines:
        lines += ["", f"Peak RSS is each process's maximum resident set size (`getrusage`); a "
                      f"process that has only imported TensorFlow, Keras and ganzoo already "
                      f"holds about {statistics.median(baselines):,.0f} MiB of it."]
        if any(outcomes.get(name) and outcomes[name].runs
               for name in ("tf-tutorial", "keras-fit")):
            lines[-1] += (" The tf-tutorial and keras-fit rows also hold 60,000 float32 images "
                          "three times over (the array, its tensor, the shuffle buffer), as the "
                          "tutorial does on MNIST.")
    lines += ["", "Export latency (inference, not training) is measured by "
                  "`benchmarks/export_latency.py`: see [export](export.md)."]
    return "\n".join(lines)


def overhead_lines(outcomes: dict[str, Outcome]) -> list[str]:
    """What ganzoo.train adds to its own step, timed within each ganzoo-train process."""
    train = outcomes.get("ganzoo-train")
    runs = [run for run in train.runs if run.get("step_seconds")] if train else []
    if not runs:
        return []
    step = statistics.median(run["step_seconds"] for run in runs)
    gap = statistics.median(run["gap_seconds"] or 0.0 for run in runs)
    per_step, untimed = gap, []
    parts = [f"{gap * 1e3:.2f} ms between steps (loss readback, divergence check, progress bar)"]
    for name, (_, every) in runs[0]["periodic"].items():
        timed = [run["periodic"][name][0] for run in runs if run["periodic"][name][0] is not None]
        if not timed:
            untimed.append(name)
            parts.append(f"a {name} every {every} steps (not timed: see the process log)")
            continue
        seconds = statistics.median(timed)
        per_step += seconds / every
        parts.append(f"a {name} every {every} steps ({seconds * 1e3:.0f} ms each)")
    bound = "at least " if untimed else ""
    lines = [f"**What `ganzoo.train` adds to its step: {bound}{per_step / step:.2%} of step "
             f"time** (target ≤ 3 %): " + ", ".join(parts) + f"; a step takes {step:.3f} s. "
             f"Timed inside each `ganzoo-train` process; the log line, sample grid and "
             f"checkpoint are timed on the finished run and amortised over their intervals."]
    step_row = outcomes.get("ganzoo-step")
    if step_row and step_row.rate and train.rate:
        lines.append(f"Across processes, ganzoo-train / ganzoo-step = "
                     f"{train.rate / step_row.rate:.3f}: the same step in two processes, so "
                     f"that overhead plus process-to-process noise.")
    logged = [rate for run in runs for rate in run.get("logged_rates", [])]
    if logged:
        lines.append(f"`metrics.jsonl` (first interval ignored) reports "
                     f"{_rate(statistics.median(logged))} images/s over {len(logged)} "
                     f"log interval(s).")
    return [" ".join(lines)]


def input_section(outcomes: dict[str, Outcome], header: str) -> str:
    lines = [header, ""]
    training = [o for o in outcomes.values() if o.row.group != INPUT and o.rate]
    fastest = max(training, key=lambda o: o.rate) if training else None
    streams = [o for o in outcomes.values() if o.row.group == INPUT
               and o.row.name not in ("input:memory", "input:jpeg+mlp-gan")]
    if streams:
        need = (f"The fastest training row here, {fastest.row.name}, takes "
                f"{_rate(fastest.rate)} images/s." if fastest else
                "No training row was measured in this run to compare with.")
        lines += ["`load_data(source, 28).batches(64, seed=0)` iterated with no training, the "
                  "digits in three forms. " + need, "",
                  "| source | images/s | vs fastest training row | peak RSS | note |",
                  "|---|---:|---:|---:|---|"]
        for o in streams:
            status = _status(o)
            if status:
                lines.append(f"| {o.row.what} | {status} | | | |")
                continue
            note = (f"opening it decodes every file once to check it: "
                    f"{o.median_of('open_seconds'):.1f} s" if o.row.name == "input:jpeg" else "")
            lines.append(f"| {o.row.what} | {_rate(o.rate)} | "
                         f"{_ratio(o.rate, fastest.rate if fastest else None)} | "
                         f"{_mb(o.median_of('peak_rss_mb'))} | {note} |")
    lines += _training_from_folder_lines(outcomes)
    lines += _memory_lines(outcomes.get("input:memory"))
    return "\n".join(lines)


def _training_from_folder_lines(outcomes: dict[str, Outcome]) -> list[str]:
    trained = outcomes.get("input:jpeg+mlp-gan")
    if not trained:
        return []
    if status := _status(trained):
        return ["", f"Training mlp-gan from the JPEG folder: {status}."]
    in_memory = outcomes.get("mlp-gan")
    against = (f", against {_rate(in_memory.rate)} from the digits in memory (the mlp-gan row): "
               f"{_ratio(trained.rate, in_memory.rate)}" if in_memory and in_memory.rate else "")
    return ["", f"**Training from the JPEG folder.** mlp-gan, the fastest architecture, trains at "
                f"{_rate(trained.rate)} images/s from the folder, whose files are decoded on the "
                f"same cores while it trains{against}."]


def _memory_lines(memory: Outcome | None) -> list[str]:
    if not memory:
        return []
    if not memory.runs:
        return ["", f"Memory while streaming a folder: {_status(memory)}."]
    m = memory.runs[0]
    if m["rss_n_mb"] is None:
        return ["", "Memory while streaming a folder: not measured (current RSS is read from "
                    "/proc, which this system lacks)."]
    growth = m["rss_10n_mb"] - m["rss_n_mb"]
    # A per-batch leak or a cache of decoded images would grow by far more than this.
    verdict = ("flat: nothing per image or per batch stays in memory, only the list of paths"
               if abs(growth) < 10 else "growing: something is kept per batch; look into it")
    return ["", f"**Memory while streaming a folder.** Resident memory (RSS, from "
                f"`/proc/self/statm`) of one process iterating `batches({m['batch']})` over a "
                f"folder of {m['files']:,} JPEGs of {m['side']}x{m['side']} "
                f"({m['on_disk_mb']:.0f} MiB on disk), resized to 28x28 in the pipeline: "
                f"{_mb(m['rss_opened_mb'])} after opening it, {_mb(m['rss_n_mb'])} after "
                f"{m['batches']} batches, {_mb(m['rss_10n_mb'])} after {10 * m['batches']} "
                f"({growth:+.1f} MiB). Those {m['images']:,} images are "
                f"{m['images'] / m['files']:.0f} passes over the folder and "
                f"{m['decoded_mb']:,.0f} MiB of decoded pixels; RSS is {verdict}. A folder larger "
                f"than this machine's memory was not tried."]


def section(key: str, body: str) -> str:
    title, start, end = SECTIONS[key]
    return f"## {title}\n\n{start}\n{body}\n{end}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="length of one measurement window (default: 5)")
    parser.add_argument("--windows", type=int, default=3,
                        help="windows per process; its figure is their median (default: 3)")
    parser.add_argument("--warmup", type=float, default=3.0,
                        help="seconds after the first step that are not measured (default: 3)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds of the comparison rows (default: 3)")
    parser.add_argument("--only", help="comma-separated rows to run (default: all)")
    parser.add_argument("--markdown", type=Path,
                        help="write the 'Training throughput' and 'Input pipeline' sections of "
                             "this file (e.g. docs/benchmarks.md), leaving the rest")
    parser.add_argument("--workdir", type=Path,
                        help="keep each process's log and files here (default: a temporary "
                             "folder, removed)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.windows < 1 or args.warmup < 0 or args.rounds < 1:
        parser.error("--seconds must be > 0, --windows and --rounds >= 1, --warmup >= 0. "
                     f"Received: --seconds {args.seconds:g} --windows {args.windows} "
                     f"--warmup {args.warmup:g} --rounds {args.rounds}.")
    if args.child:
        return child_main(args)

    rows = installed_rows(all_rows())
    if args.only:
        wanted = [name.strip() for name in args.only.split(",") if name.strip()]
        for name in wanted:
            if name not in rows:
                close = difflib.get_close_matches(name, rows, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                parser.error(f"Unknown row {name!r} in --only.{hint} Available: "
                             f"{', '.join(rows)}.")
        rows = {name: row for name, row in rows.items() if name in wanted}
    plan = schedule(list(rows.values()), args.rounds)
    per_child = CHILD_OVERHEAD_SECONDS + args.warmup + args.windows * args.seconds
    print(f"{len(plan)} measurements, each in a fresh process: about "
          f"{len(plan) * per_child / 60:.0f} min.", flush=True)
    command = "python benchmarks/throughput.py " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        print(f"Note: the load average is {load_before:.2f}; other work on this machine will "
              f"skew the figures.", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ganzoo-throughput-") as scratch:
        workdir = args.workdir or Path(scratch)
        outcomes = run_all(list(rows.values()), args, workdir)
    header = provenance(machine(), args, command, time.perf_counter() - started,
                        (load_before, os.getloadavg()[0]))
    sections = {}
    if any(o.row.group != INPUT for o in outcomes.values()):
        sections["training"] = training_section(outcomes, args, header)
    if any(o.row.group == INPUT for o in outcomes.values()):
        sections["input"] = input_section(outcomes, header)
    print("\n\n".join(section(key, body) for key, body in sections.items()))
    failures = [o for o in outcomes.values() if o.failures]
    for o in failures:
        print(f"\n{o.row.name} failed:\n  " + "\n  ".join(o.failures), file=sys.stderr)
    if args.markdown:
        for key, body in sections.items():
            replace_section(args.markdown, *SECTIONS[key], body)
        print(f"\nWrote {', '.join(repr(SECTIONS[k][0]) for k in sections)} in {args.markdown}",
              file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
