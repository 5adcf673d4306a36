"""Train ganzoo's shipped feature network on the picture pool, and write it into the package.

    python recipes/shipped_features/pool.py --out POOL          # the pictures, with licences
    python recipes/shipped_features/train.py --pool POOL        # about 30 min on 2 CPU cores

Writes ``ganzoo/metrics/weights/ganzoo-features-v<VERSION>.weights.h5`` and its ``.json`` (the
feature scale, the pool's manifest digest and sources, the recipe, the held-out check). The
network and its input are defined once, in ``ganzoo/metrics/_shipped.py``, which documents the
method (SimCLR, Chen et al. 2020, https://arxiv.org/abs/2002.05709; official code
https://github.com/google-research/simclr) and its views.

Deviations from SimCLR, named: views are crops of 35-100 % of the side (SimCLR: 8-100 % of the
area) with a shift of up to 1/16 of the side past the edge (filled white, the pool's background),
and horizontal flips; no colour distortion and no blur, so the features keep colour and fine
detail, which a ruler of pictures must see. Adam instead of LARS; batch 128 pairs; temperature
0.2; a small network (`_shipped.WIDTHS`).

Training is seeded (initializers, batch order, views) and runs with TensorFlow's op determinism;
the file that ships is the artefact, and its SHA-256 is the fingerprint every report prints.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ganzoo.metrics import _shipped  # noqa: E402
from ganzoo.metrics._contrastive import nt_xent  # noqa: E402

BATCH = 128
TEMPERATURE = 0.2
LEARNING_RATE = 1e-3
PROJECTION = 128
HELD_OUT = 500
SEED = 0
MIN_SCALE, SHIFT = 0.35, 1 / 16


def read_pool(pool: Path) -> tuple[np.ndarray, dict]:
    """Every picture of the pool (uint8, `SIZE` RGB) in a seeded order, and its manifest."""
    from PIL import Image

    manifest = json.loads((pool / "manifest.json").read_text(encoding="utf-8"))
    files = sorted(pool.glob("*/*.png"))
    if not files:
        raise SystemExit(f"error: no pictures in {pool}/*/*.png; make the pool with "
                         f"recipes/shipped_features/pool.py --out {pool}")
    images = np.stack([np.asarray(Image.open(f).convert("RGB").resize(
        (_shipped.SIZE, _shipped.SIZE), Image.BILINEAR)) for f in files])
    return images[np.random.default_rng(SEED).permutation(len(images))], manifest


def views(images, randoms):
    """A crop-and-shift view of each float picture in [0, 255]: side 35-100 %, shifted up to
    `SHIFT` past the edges (white), flipped half the time."""
    import tensorflow as tf

    side = MIN_SCALE + (1 - MIN_SCALE) * randoms[:, 0]
    top = -SHIFT + (1 - side + 2 * SHIFT) * randoms[:, 1]
    left = -SHIFT + (1 - side + 2 * SHIFT) * randoms[:, 2]
    boxes = tf.stack([top, left, top + side, left + side], axis=1)
    size = _shipped.SIZE
    x = tf.image.crop_and_resize(images, boxes, tf.range(tf.shape(images)[0]), [size, size],
                                 method="bilinear", extrapolation_value=255.0)
    flip = tf.reshape(randoms[:, 3] < 0.5, [-1, 1, 1, 1])
    return tf.where(flip, tf.reverse(x, [2]), x)


def train(images: np.ndarray, steps: int, minutes: float | None) -> tuple:
    import keras
    import tensorflow as tf
    from tqdm import tqdm

    tf.config.experimental.enable_op_determinism()
    trunk = _shipped.build_trunk(SEED)
    features = keras.Input((trunk.output.shape[-1],))
    hidden = keras.layers.Dense(trunk.output.shape[-1], activation="relu",
                                kernel_initializer=keras.initializers.HeNormal(SEED + 7))(features)
    projected = keras.layers.Dense(PROJECTION,
                                   kernel_initializer=keras.initializers.GlorotUniform(SEED + 8))(
        hidden)
    head = keras.Model(features, keras.layers.UnitNormalization()(projected))
    variables = trunk.trainable_variables + head.trainable_variables
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps, warmup_steps=0)
    optimizer = keras.optimizers.Adam(schedule)
    optimizer.build(variables)

    @tf.function(jit_compile=False)
    def step(x, randoms):
        with tf.GradientTape() as tape:
            a = head(trunk(views(x, randoms[0]), training=True), training=True)
            b = head(trunk(views(x, randoms[1]), training=True), training=True)
            loss = nt_xent(a, b, TEMPERATURE)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    train_x = images[:-HELD_OUT]
    rng = np.random.default_rng(SEED)
    started, done, losses = time.perf_counter(), 0, []
    order = np.empty(0, int)
    with tqdm(total=steps, unit="step", desc="shipped features", file=sys.stderr) as bar:
        while done < steps:
            if len(order) < BATCH:
                order = np.concatenate([order, rng.permutation(len(train_x))])
            chosen, order = order[:BATCH], order[BATCH:]
            randoms = rng.random((2, BATCH, 4), dtype=np.float32)
            loss = step(tf.constant(train_x[chosen], tf.float32), tf.constant(randoms))
            losses.append(float(loss))
            done += 1
            bar.update()
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
            if minutes is not None and time.perf_counter() - started > 60 * minutes:
                break
    seconds = time.perf_counter() - started
    return trunk, done, seconds, losses


def embed(trunk, images: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    return np.concatenate([np.asarray(trunk(tf.constant(images[i:i + 500], tf.float32),
                                            training=False), np.float64)
                           for i in range(0, len(images), 500)])


def retrieval(trunk, images: np.ndarray) -> float:
    """Share of held-out pictures whose second view is the nearest of all held-out views to
    their first (top-1 view retrieval): the network's self-check."""
    import tensorflow as tf

    randoms = np.random.default_rng(SEED + 1).random((2, len(images), 4), dtype=np.float32)
    x = tf.constant(images, tf.float32)
    first, second = (embed(trunk, np.asarray(views(x, tf.constant(r)))) for r in randoms)
    first /= np.linalg.norm(first, axis=1, keepdims=True) + 1e-12
    second /= np.linalg.norm(second, axis=1, keepdims=True) + 1e-12
    return float(np.mean((first @ second.T).argmax(1) == np.arange(len(images))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool", type=Path, required=True, help="the pool folder (pool.py)")
    parser.add_argument("--steps", type=int, default=3000, help="updates (default 3000)")
    parser.add_argument("--minutes", type=float, help="stop early after this wall time")
    parser.add_argument("--out", type=Path, default=ROOT / "ganzoo" / "metrics" / "weights",
                        help="where the weights and their description go (default: the "
                             "package's weights folder)")
    args = parser.parse_args(argv)
    images, manifest = read_pool(args.pool)
    print(f"{len(images)} pictures from {len(manifest['sources'])} sources; "
          f"{HELD_OUT} held out", file=sys.stderr)
    trunk, steps, seconds, losses = train(images, args.steps, args.minutes)
    features = embed(trunk, images[:-HELD_OUT])
    scale = 1.0 / float(np.sqrt(np.mean(features ** 2)))
    check = retrieval(trunk, images[-HELD_OUT:])
    args.out.mkdir(parents=True, exist_ok=True)
    weights = args.out / _shipped._WEIGHTS
    trunk.save_weights(weights)
    pool_digest = hashlib.sha256(
        json.dumps(manifest, sort_keys=True).encode()).hexdigest()
    info = {"name": _shipped.NAME, "version": _shipped.VERSION, "feature_scale": scale,
            "input": f"{_shipped.SIZE}x{_shipped.SIZE} RGB, bilinear antialiased resize",
            "features": int(features.shape[1]),
            "recipe": f"simclr;batch={BATCH};temperature={TEMPERATURE};lr={LEARNING_RATE};"
                      f"cosine;projection={PROJECTION};min_scale={MIN_SCALE};shift={SHIFT:g};"
                      f"flip;seed={SEED}",
            "steps": steps, "seconds": round(seconds), "final_loss": float(np.mean(losses[-50:])),
            "held_out_view_retrieval": check, "held_out_count": HELD_OUT,
            "pool": f"{len(images)} pictures, manifest sha256 {pool_digest[:16]}",
            "sources": [{k: s.get(k) for k in ("name", "package", "version", "licence",
                                               "rendered")} for s in manifest["sources"]]}
    (args.out / _shipped._INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    print(f"{steps} steps in {seconds / 60:.1f} min, loss {info['final_loss']:.3f}, held-out "
          f"view retrieval {100 * check:.1f} %; wrote {weights} "
          f"({weights.stat().st_size / 2 ** 20:.1f} MiB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
