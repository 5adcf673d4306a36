"""The peer of the folder benchmark: the keras.io example "Data-efficient GANs with Adaptive
Discriminator Augmentation" (A. Béres, 2021), re-implemented for measurement.

Source: https://keras.io/examples/generative/gan_ada/ (keras-io examples/generative/gan_ada.py).
Written here from the example's published architecture and hyper-parameters, which carry over
unchanged:

- DCGAN generator: z of 64 -> dense 4x4x128 -> three 4x4 stride-2 transposed convolutions of
  128 -> a 4x4 stride-2 transposed convolution to RGB with a sigmoid; batch norm without scale
  and no biases before it; ReLU.
- DCGAN discriminator: four 4x4 stride-2 convolutions of 128, batch norm without scale, leaky
  ReLU 0.2, dropout 0.4 before the dense logit.
- Non-saturating loss, separate discriminator passes for real and generated images, both
  networks updated from one forward pass; Adam(2e-4, beta_1=0.5) for both; batch 128; an
  exponential moving average (0.99) of the generator's weights is the one that is sampled.
- ADA as the example does it: x-flip, translation 0.125, rotation 0.125, zoom-out 0.25 (Keras
  augmentation layers) applied per image with probability p; p is integral-controlled so the
  discriminator's accuracy on real images tracks 0.8, p += (accuracy - 0.8) / 1000 every step.

Deviations, each named: it reads the benchmark's folder instead of Caltech Birds (no bounding
box crop), trains until a wall-clock deadline instead of for a number of epochs, and keeps the
last moving average instead of the checkpoint with the best validation KID (which needs
InceptionV3 weights this machine cannot fetch).

    python benchmarks/_peer_gan_ada.py FOLDER OUT_DIR --seconds 1800 --seed 0 --samples 2000
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

IMAGE_SIZE, NOISE, DEPTH, WIDTH = 64, 64, 4, 128
SLOPE, DROPOUT, BATCH, LEARNING_RATE, BETA_1, EMA = 0.2, 0.4, 128, 2e-4, 0.5, 0.99
TRANSLATION, ROTATION, ZOOM, TARGET_ACCURACY, INTEGRATION_STEPS = 0.125, 0.125, 0.25, 0.8, 1000


def read_folder(folder: Path):
    import numpy as np
    from PIL import Image

    pictures = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg"})
    return np.stack([np.asarray(Image.open(p).convert("RGB").resize((IMAGE_SIZE, IMAGE_SIZE),
                                                                     Image.BOX))
                     for p in pictures])


def networks():
    import keras
    from keras import layers

    z = keras.Input((NOISE,))
    x = layers.Dense(4 * 4 * WIDTH, use_bias=False)(z)
    x = layers.ReLU()(layers.BatchNormalization(scale=False)(x))
    x = layers.Reshape((4, 4, WIDTH))(x)
    for _ in range(DEPTH - 1):
        x = layers.Conv2DTranspose(WIDTH, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization(scale=False)(x))
    image = layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="sigmoid")(x)
    generator = keras.Model(z, image, name="peer_generator")

    picture = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3))
    x = picture
    for _ in range(DEPTH):
        x = layers.Conv2D(WIDTH, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.LeakyReLU(SLOPE)(layers.BatchNormalization(scale=False)(x))
    x = layers.Dropout(DROPOUT)(layers.Flatten()(x))
    discriminator = keras.Model(picture, layers.Dense(1)(x), name="peer_discriminator")
    return generator, discriminator


def train(folder: Path, out: Path, seconds: float, seed: int, samples: int) -> dict:
    import keras
    import numpy as np
    import tensorflow as tf
    from keras import layers

    started = time.monotonic()
    keras.utils.set_random_seed(seed)
    images = read_folder(folder)
    data = (tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=seed)
            .repeat().batch(BATCH, drop_remainder=True)
            .map(lambda x: tf.cast(x, tf.float32) / 255.0).prefetch(2))
    generator, discriminator = networks()
    average = keras.models.clone_model(generator)
    average.set_weights(generator.get_weights())
    augmenter = keras.Sequential([
        layers.RandomFlip("horizontal", seed=seed),
        layers.RandomTranslation(TRANSLATION, TRANSLATION, interpolation="nearest", seed=seed),
        layers.RandomRotation(ROTATION, seed=seed),
        layers.RandomZoom((-ZOOM, 0.0), (-ZOOM, 0.0), seed=seed),
    ])
    p = tf.Variable(0.0)
    g_opt = keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1)
    d_opt = keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def augment(batch):
        chosen = tf.random.uniform((BATCH, 1, 1, 1)) < p
        return tf.where(chosen, augmenter(batch, training=True), batch)

    @tf.function
    def step(real):
        z = tf.random.normal((BATCH, NOISE))
        with tf.GradientTape(persistent=True) as tape:
            fake = augment(generator(z, training=True))
            real_logits = discriminator(augment(real), training=True)
            fake_logits = discriminator(fake, training=True)
            g_loss = bce(tf.ones_like(fake_logits), fake_logits)
            d_loss = (bce(tf.ones_like(real_logits), real_logits)
                      + bce(tf.zeros_like(fake_logits), fake_logits)) / 2
        g_opt.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_weights),
                                  generator.trainable_weights))
        d_opt.apply_gradients(zip(tape.gradient(d_loss, discriminator.trainable_weights),
                                  discriminator.trainable_weights))
        accuracy = tf.reduce_mean(tf.cast(real_logits > 0, tf.float32))
        p.assign(tf.clip_by_value(p + (accuracy - TARGET_ACCURACY) / INTEGRATION_STEPS, 0., 1.))
        for weight, averaged in zip(generator.weights, average.weights):
            averaged.assign(EMA * averaged + (1 - EMA) * weight)
        return g_loss, d_loss

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    steps = 0
    log = (out / "log.jsonl").open("w")
    for real in data:
        g_loss, d_loss = step(real)
        steps += 1
        if steps % 50 == 0:
            log.write(json.dumps({"step": steps, "g_loss": float(g_loss), "d_loss": float(d_loss),
                                  "p": float(p.numpy()),
                                  "seconds": round(time.monotonic() - started, 1)}) + "\n")
            log.flush()
        if stop or time.monotonic() - started >= seconds:
            break
    trained = time.monotonic() - started
    z = tf.random.stateless_normal((samples, NOISE), seed=[seed, 1])
    drawn = np.concatenate([average(z[i:i + 256], training=False).numpy()
                            for i in range(0, samples, 256)])
    np.savez(out / "samples.npz", x=np.round(drawn * 255).clip(0, 255).astype(np.uint8))
    return {"steps": steps, "images": steps * BATCH, "seconds": round(trained, 1),
            "p": float(p.numpy())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seconds", type=float, default=1800)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    result = train(args.folder, args.out, args.seconds, args.seed, args.samples)
    (args.out / "result.json").write_text(json.dumps(result) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
