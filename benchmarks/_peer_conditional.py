"""The conditional peer of the class-folder benchmark: the keras.io example "Conditional GAN"
(Sayak Paul, 2021), re-implemented for measurement and moved from 28-px digits to the
benchmark's 64-px colour class folders.

Source: https://keras.io/examples/generative/conditional_gan/ (keras-io
examples/generative/conditional_gan.py), after Mirza & Osindero 2014, "Conditional Generative
Adversarial Nets", https://arxiv.org/abs/1411.1784. Written here from the example's published
architecture and hyper-parameters, which carry over unchanged:

- The class enters both networks as a one-hot vector: joined to z (128) at the generator's
  input, and repeated over every pixel as extra image channels at the discriminator's.
- Generator: a dense layer to a map of (z + classes) channels, leaky ReLU 0.2, 4x4 stride-2
  transposed convolutions of 128 with leaky ReLU 0.2, a 7x7 convolution to the image with a
  sigmoid. Discriminator: 3x3 stride-2 convolutions of 64 and 128 with leaky ReLU 0.2, global
  max pooling, a dense logit. No normalisation in either.
- Binary cross-entropy on logits, the discriminator on a joint batch of fake (target 1) and
  real (target 0) pictures with the real batch's labels, then the generator on new latents with
  the same labels (target 0); Adam(3e-4) with Keras' default betas for both; batch 64.

Deviations, each named: 64x64 RGB instead of 28x28 grey, so the generator starts from an 8x8
map and has three transposed convolutions instead of a 7x7 map and two; it reads the
benchmark's class folder instead of MNIST, trains until a wall-clock deadline instead of for 20
epochs, and saves its generator for the benchmark to draw each class from.

    python benchmarks/_peer_conditional.py FOLDER OUT_DIR --seconds 1800 --seed 0
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

IMAGE_SIZE, LATENT, WIDTH, BATCH, LEARNING_RATE, SLOPE = 64, 128, 128, 64, 3e-4, 0.2
START = IMAGE_SIZE // 8  # three doublings to the image side
SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


def read_classes(folder: Path):
    """The pictures of each class subfolder (sorted by name, as ganzoo orders classes), as
    uint8 RGB at the benchmark's size, with their class indices and the class names."""
    import numpy as np
    from PIL import Image

    names = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    images, labels = [], []
    for index, name in enumerate(names):
        for path in sorted((folder / name).iterdir()):
            if path.suffix.lower() in SUFFIXES:
                picture = Image.open(path).convert("RGB")
                images.append(np.asarray(picture.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BOX)))
                labels.append(index)
    return np.stack(images), np.asarray(labels, np.int32), names


def networks(classes: int):
    import keras
    from keras import layers

    joined = LATENT + classes
    generator = keras.Sequential([
        keras.Input((joined,)),
        layers.Dense(START * START * joined), layers.LeakyReLU(SLOPE),
        layers.Reshape((START, START, joined)),
        *[block for _ in range(3) for block in (
            layers.Conv2DTranspose(WIDTH, 4, strides=2, padding="same"), layers.LeakyReLU(SLOPE))],
        layers.Conv2D(3, 7, padding="same", activation="sigmoid"),
    ], name="generator")
    discriminator = keras.Sequential([
        keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3 + classes)),
        layers.Conv2D(64, 3, strides=2, padding="same"), layers.LeakyReLU(SLOPE),
        layers.Conv2D(128, 3, strides=2, padding="same"), layers.LeakyReLU(SLOPE),
        layers.GlobalMaxPooling2D(), layers.Dense(1),
    ], name="discriminator")
    return generator, discriminator


def train(folder: Path, out: Path, seconds: float, seed: int) -> dict:
    import keras
    import tensorflow as tf

    started = time.monotonic()
    keras.utils.set_random_seed(seed)
    images, labels, names = read_classes(folder)
    classes = len(names)
    data = (tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(len(images), seed=seed)
            .repeat().batch(BATCH, drop_remainder=True)
            .map(lambda x, y: (tf.cast(x, tf.float32) / 255.0, tf.one_hot(y, classes)))
            .prefetch(2))
    generator, discriminator = networks(classes)
    g_opt, d_opt = keras.optimizers.Adam(LEARNING_RATE), keras.optimizers.Adam(LEARNING_RATE)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def step(real, one_hot):
        planes = tf.tile(one_hot[:, None, None, :], [1, IMAGE_SIZE, IMAGE_SIZE, 1])
        fake = generator(tf.concat([tf.random.normal((BATCH, LATENT)), one_hot], 1))
        joint = tf.concat([tf.concat([fake, planes], -1), tf.concat([real, planes], -1)], 0)
        targets = tf.concat([tf.ones((BATCH, 1)), tf.zeros((BATCH, 1))], 0)
        with tf.GradientTape() as tape:
            d_loss = bce(targets, discriminator(joint))
        d_opt.apply_gradients(zip(tape.gradient(d_loss, discriminator.trainable_weights),
                                  discriminator.trainable_weights))
        z = tf.concat([tf.random.normal((BATCH, LATENT)), one_hot], 1)
        with tf.GradientTape() as tape:
            predictions = discriminator(tf.concat([generator(z), planes], -1))
            g_loss = bce(tf.zeros((BATCH, 1)), predictions)
        g_opt.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_weights),
                                  generator.trainable_weights))
        return g_loss, d_loss

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    steps = 0
    with (out / "log.jsonl").open("w") as log:
        for real, one_hot in data:
            g_loss, d_loss = step(real, one_hot)
            steps += 1
            if steps % 50 == 0:
                log.write(json.dumps({"step": steps, "g_loss": float(g_loss),
                                      "d_loss": float(d_loss),
                                      "seconds": round(time.monotonic() - started, 1)}) + "\n")
                log.flush()
            if stop or time.monotonic() - started >= seconds:
                break
    trained = time.monotonic() - started
    generator.save(out / "generator.keras")
    return {"steps": steps, "images": steps * BATCH, "seconds": round(trained, 1),
            "class_names": names, "latent": LATENT}


def drawer(out: Path, seed: int):
    """`draw(count, label)`: uint8 pictures of class `label` from the saved generator."""
    import keras
    import numpy as np
    import tensorflow as tf

    generator = keras.models.load_model(out / "generator.keras")
    classes = generator.input_shape[-1] - LATENT

    def draw(count: int, label: int):
        z = tf.random.stateless_normal((count, LATENT), seed=[seed, label])
        codes = tf.concat([z, tf.one_hot(tf.fill([count], label), classes)], 1)
        drawn = np.concatenate([generator(codes[i:i + 256], training=False).numpy()
                                for i in range(0, count, 256)])
        return np.round(drawn * 255).clip(0, 255).astype(np.uint8)

    return draw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seconds", type=float, default=1800)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    result = train(args.folder, args.out, args.seconds, args.seed)
    (args.out / "result.json").write_text(json.dumps(result) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
