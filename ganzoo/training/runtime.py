"""Where and how a run computes: numeric precision, XLA, and the `tf.distribute` strategy.

These settings change how fast a run trains, not what it learns, so a run may be resumed with
different ones (on more GPUs, say) and they are stored in ``config.json`` as the latest used.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager

from ganzoo.errors import GanzooError, UnknownNameError

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16", "auto")
STRATEGIES = ("default", "mirrored", "multi-worker")


def check_precision(precision: str) -> str:
    """A precision name as given; ``auto`` becomes what this machine computes fastest
    (`auto_precision`), so a run records the precision it really used."""
    if precision not in PRECISIONS:
        raise UnknownNameError("precision", str(precision), PRECISIONS)
    return auto_precision() if precision == "auto" else precision


def auto_precision() -> str:
    """The fastest precision this machine computes natively.

    bfloat16 where the hardware has it (NVIDIA GPUs from compute capability 8.0; CPUs with
    AVX512_BF16 or AMX, which oneDNN uses), else float16 on older GPUs (7.0, tensor cores), else
    float32. Measured on digits: bfloat16 trains 1.5x faster on an AVX512_BF16 CPU with no loss
    of sample quality (docs/benchmarks.md).
    """
    gpus = _gpu_compute_capabilities()
    if gpus:
        lowest = min(gpus)
        return "mixed_bfloat16" if lowest >= (8, 0) else \
            "mixed_float16" if lowest >= (7, 0) else "float32"
    return "mixed_bfloat16" if _cpu_flags() & ONEDNN_BFLOAT16_FLAGS else "float32"


# The x86 features with which oneDNN computes bfloat16 natively, in /proc/cpuinfo's spelling.
ONEDNN_BFLOAT16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})

_CPUINFO = "/proc/cpuinfo"


def _gpu_compute_capabilities() -> list[tuple[int, int]]:
    import tensorflow as tf

    found = []
    for gpu in tf.config.list_physical_devices("GPU"):
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        if capability:
            found.append(tuple(capability))
    return found


def _cpu_flags() -> set[str]:
    """This CPU's feature flags as /proc/cpuinfo spells them, where they can make bfloat16
    native for TensorFlow; empty elsewhere, which makes `auto_precision` choose float32, always
    a correct choice.

    bfloat16 is native on a CPU only through oneDNN, which TensorFlow builds into its Linux and
    Windows wheels, not its macOS ones. So:

    - Linux: /proc/cpuinfo (x86 ``flags``; Arm ``Features``, where ``bf16`` is read but not
      chosen: oneDNN with ACL on Arm is unmeasured here).
    - macOS: nothing to read. Apple silicon has bf16 (``sysctl hw.optional.arm.FEAT_BF16``),
      but TensorFlow's macOS CPU kernels have no oneDNN to compute with it, and no Intel Mac
      has AVX512_BF16 or AMX.
    - Windows: IsProcessorFeaturePresent's x86 constants go no further than AVX-512F, naming
      neither AVX512_BF16 nor AMX, and reading CPUID from Python would mean executing machine
      code through ctypes; with no reliable check, float32 (``--precision mixed_bfloat16`` by
      name still works, with oneDNN).
    """
    if platform.system() != "Linux":
        return set()
    try:
        with open(_CPUINFO, encoding="utf-8") as handle:
            for line in handle:
                # Every core lists the same flags, so the first core's suffice.
                if line.startswith(("flags", "Features")):
                    return set(line.split(":", 1)[1].split())
    except OSError:  # a sandbox without /proc: nothing detected, float32
        pass
    return set()


def make_strategy(strategy):
    """The `tf.distribute.Strategy` for a name (or the strategy object itself).

    ``mirrored`` uses every local GPU, or every logical CPU device when there is no GPU;
    ``multi-worker`` is configured by the standard ``TF_CONFIG`` environment variable.
    """
    import tensorflow as tf

    if strategy is None or strategy == "default":
        return tf.distribute.get_strategy()
    if not isinstance(strategy, str):
        return strategy
    if strategy == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([device.name for device in devices])
    if strategy == "multi-worker":
        if "TF_CONFIG" not in os.environ:
            raise GanzooError(
                "--strategy multi-worker needs the TF_CONFIG environment variable, which names "
                "every worker and this one's index, e.g. TF_CONFIG='{\"cluster\": {\"worker\": "
                "[\"host1:12345\", \"host2:12345\"]}, \"task\": {\"type\": \"worker\", "
                "\"index\": 0}}'. See docs/training.md.")
        try:
            json.loads(os.environ["TF_CONFIG"])
        except json.JSONDecodeError as error:
            raise GanzooError(f"TF_CONFIG is not valid JSON: {error}. Received: "
                              f"TF_CONFIG={os.environ['TF_CONFIG']!r}.") from error
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise UnknownNameError("strategy", strategy, STRATEGIES)


def strategy_name(strategy) -> str:
    if strategy is None or isinstance(strategy, str):
        return strategy or "default"
    return type(strategy).__name__


def is_chief(strategy) -> bool:
    """Whether this process writes the run directory: always, except for a multi-worker
    strategy's workers other than the chief (worker 0 when the cluster has no 'chief')."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


@contextmanager
def dtype_policy(precision: str) -> Iterator[None]:
    """Build models under a Keras mixed-precision policy, then restore the previous one.

    Weights stay float32 under either mixed policy; only the computation runs in 16 bits, so a
    checkpoint restores into a float32 model for sampling and export.
    """
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def optimizer(precision: str, learning_rate: float, beta_1: float, beta_2: float):
    """Adam, wrapped for dynamic loss scaling when gradients are float16 (bfloat16 has
    float32's exponent range and needs none)."""
    import keras

    adam = keras.optimizers.Adam(learning_rate, beta_1, beta_2)
    return keras.optimizers.LossScaleOptimizer(adam) if precision == "mixed_float16" else adam


def synchronize_batch_norm(*models) -> None:
    """Make batch norm use the statistics of the global batch across replicas, so N devices
    train like one device with the same global batch."""
    import keras

    for model in models:
        for layer in model._flatten_layers(include_self=False, recursive=True):
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.synchronized = True
