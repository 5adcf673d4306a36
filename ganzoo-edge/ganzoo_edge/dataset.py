"""Write a labelled synthetic data set: one image file per sample and a manifest.

numpy and Pillow only, so a device without TensorFlow makes the same tree as
``ganzoo sample RUN --out-dir DIR`` (which calls this module)::

    DIR/manifest.csv       one row per image: file, label, class name, latent seed and index,
    DIR/manifest.jsonl     truncation, checkpoint step, weights, discriminator score
    DIR/<class name>/000000.png  ...   (conditional generators: one folder per class)
    DIR/000000.png  ...                (unconditional generators: a flat folder)

``ganzoo train --data DIR`` and ``keras.utils.image_dataset_from_directory(DIR)`` read the tree
as it is (PNG and JPEG; neither reads WebP). Images are generated and written batch by batch,
so memory stays flat whatever the count. Everything is written into a hidden sibling,
``.DIR.partial``, renamed to DIR only when the last file and the manifest are complete: a
crash or Ctrl-C never leaves a DIR that looks complete.

Latents: image ``index`` of seed ``seed`` is latent row ``index`` of ``seed``
(`ganzoo_edge.latents`, the rule ``ganzoo sample`` and exported web pages share), so an image
does not depend on the batch size or on how many images are drawn, and the manifest's seed and
index rebuild its latent. Truncation (Brock, Donahue & Simonyan, "Large Scale GAN Training for
High Fidelity Natural Image Synthesis", ICLR 2019, section 3.1,
https://arxiv.org/abs/1809.11096) draws latent entries whose magnitude exceeds ``psi`` again
from the same stream until none does.

Rejection by the discriminator (Azadi et al., "Discriminator Rejection Sampling", ICLR 2019,
https://arxiv.org/abs/1810.06758), simplified: instead of accepting each sample with the
probability the paper derives from D's logit, draw ``ceil(count / fraction)`` candidates of a
class and keep the ``count`` with the highest realness logits. The caller gives the score
function (``ganzoo`` restores the run's discriminator; exported files have none).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ganzoo_edge._errors import EdgeError
from ganzoo_edge.latents import latents

__all__ = ["COLUMNS", "FORMATS", "Batch", "DatasetSummary", "check_destination",
           "check_options", "class_counts", "iter_samples", "latents", "read_manifest",
           "write_dataset"]

FORMATS = ("png", "jpg", "webp")
COLUMNS = ("file", "label", "class_name", "seed", "index", "truncation", "step", "weights",
           "score")
MANIFEST = "manifest.csv"
MANIFEST_JSON = "manifest.jsonl"
# Lossy formats at a fixed quality, so reruns stay byte-identical.
_SAVE_OPTIONS = {"png": {"format": "PNG"}, "jpg": {"format": "JPEG", "quality": 95},
                 "webp": {"format": "WEBP", "quality": 95, "method": 4}}

Draw = Callable[[np.ndarray, "np.ndarray | None"], np.ndarray]
Score = Callable[[np.ndarray, "np.ndarray | None"], np.ndarray]


def check_options(*, n: int | None = None, per_class: int | None = None, num_classes: int,
                  truncation: float | None = None, keep_best: float | None = None,
                  format: str = "png") -> None:
    """Raise `EdgeError` (one line) for a count, fraction, threshold or format out of range."""
    if n is not None and n < 1:
        raise EdgeError(f"n must be a positive number of images. Received: n={n}.")
    if per_class is not None:
        if not num_classes:
            raise EdgeError(f"per_class needs a conditional generator; this one is "
                            f"unconditional (use n). Received: per_class={per_class}.")
        if per_class < 1:
            raise EdgeError(f"per_class must be a positive number of images. Received: "
                            f"per_class={per_class}.")
        if n is not None:
            raise EdgeError(f"Give n or per_class, not both. Received: n={n}, "
                            f"per_class={per_class}.")
    if n is None and per_class is None:
        raise EdgeError("Give the number of images: n (or per_class for a conditional "
                        "generator).")
    if truncation is not None and not truncation > 0:
        raise EdgeError(f"truncation must be a positive threshold on |z| (e.g. 1.0; smaller "
                        f"trades variety for quality). Received: truncation={truncation}.")
    if keep_best is not None and not 0 < keep_best <= 1:
        raise EdgeError(f"keep_best must be a fraction in (0, 1] of the candidates to keep. "
                        f"Received: keep_best={keep_best}.")
    if format not in FORMATS:
        raise EdgeError(f"format must be one of {', '.join(FORMATS)}. Received: "
                        f"format={format!r}.")


def class_counts(num_classes: int, n: int | None = None,
                 per_class: int | None = None) -> list[int]:
    """Images per class: `per_class` each, or `n` split as evenly as possible (the first
    classes get one more). An unconditional generator has one "class" of `n`."""
    if not num_classes:
        return [int(n)]
    if per_class is not None:
        return [per_class] * num_classes
    return [n // num_classes + (c < n % num_classes) for c in range(num_classes)]


@dataclass(frozen=True)
class Batch:
    """Images ready to write, with the latent index and (when rejecting) score of each."""

    images: np.ndarray
    labels: np.ndarray | None
    indices: np.ndarray
    scores: np.ndarray | None


def iter_samples(draw: Draw, *, latent_dim: int, num_classes: int, counts: Sequence[int],
                 seed: int = 0, truncation: float | None = None,
                 keep_best: float | None = None, score: Score | None = None,
                 batch_size: int = 256) -> Iterator[Batch]:
    """Draw the images of a data set batch by batch, class after class.

    Candidates are numbered 0, 1, ... across the whole data set (their latent index). With
    `keep_best`, each batch of `batch_size` kept images of a class is the best of
    ``ceil(batch_size / keep_best)`` candidates of that class by `score`.
    """
    if keep_best is not None and score is None:
        raise EdgeError("keep_best needs a discriminator to score the candidates; this "
                        "generator has none (exported files hold only the generator).")
    fraction = 1.0 if keep_best is None else keep_best
    next_index = 0
    for label, count in enumerate(counts):
        done = 0
        while done < count:
            keep = min(batch_size, count - done)
            candidates = keep if keep_best is None else math.ceil(keep / fraction)
            indices = np.arange(next_index, next_index + candidates)
            next_index += candidates
            labels = np.full(candidates, label, np.int32) if num_classes else None
            z = latents(indices, latent_dim, seed, truncation)
            images = np.concatenate([draw(z[s:s + batch_size],
                                          None if labels is None else labels[s:s + batch_size])
                                     for s in range(0, candidates, batch_size)])
            scores = None
            if keep_best is not None:
                scores = np.concatenate([np.asarray(score(images[s:s + batch_size],
                                                          None if labels is None
                                                          else labels[s:s + batch_size]),
                                                    np.float64).reshape(-1)
                                         for s in range(0, candidates, batch_size)])
                # Stable, so equal scores keep the lower latent index: reruns agree.
                best = np.sort(np.argsort(-scores, kind="stable")[:keep])
                images, indices, scores = images[best], indices[best], scores[best]
                labels = None if labels is None else labels[best]
            yield Batch(images, labels, indices, scores)
            done += keep


@dataclass(frozen=True)
class DatasetSummary:
    """What `write_dataset` wrote."""

    path: Path
    count: int
    counts: tuple[int, ...]
    format: str

    @property
    def manifest(self) -> Path:
        return self.path / MANIFEST


def _folder_name(name: str, label: int) -> str:
    # A class name becomes a folder name only if it is a plain one; else the index stands in.
    return name if re.fullmatch(r"[\w][\w .+-]*", name) and name not in (".", "..") \
        else f"class_{label}"


def check_destination(out_dir: Path, overwrite: bool) -> None:
    """Raise `EdgeError` if `out_dir` is a file, or a non-empty folder and not `overwrite`."""
    if out_dir.exists() and not out_dir.is_dir():
        raise EdgeError(f"out_dir exists and is not a folder. Received: out_dir="
                        f"{str(out_dir)!r}.")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise EdgeError(f"out_dir already exists and is not empty; pass --overwrite "
                        f"(overwrite=True) to replace it. Received: out_dir={str(out_dir)!r}.")


def write_dataset(out_dir: str | os.PathLike, draw: Draw, *, latent_dim: int,
                  num_classes: int = 0, class_names: Sequence[str] = (),
                  n: int | None = None, per_class: int | None = None, seed: int = 0,
                  truncation: float | None = None, keep_best: float | None = None,
                  score: Score | None = None, format: str = "png", overwrite: bool = False,
                  batch_size: int = 256, step: int | None = None, weights: str = "",
                  progress: Callable[[int], None] | None = None) -> DatasetSummary:
    """Generate and write a labelled data set to `out_dir`, atomically (see the module doc).

    Args:
        out_dir: the folder to create; an existing non-empty one needs `overwrite`.
        draw: ``draw(z, labels) -> uint8 [batch, H, W, C]``; labels is None if unconditional.
        latent_dim, num_classes, class_names: what the generator takes.
        n, per_class: how many images: `n` in all (split evenly over the classes) or
            `per_class` of each class.
        seed: the latent seed (image ``index`` is latent row ``index`` of it, `ganzoo_edge.latents`).
        truncation: resample latent entries beyond this magnitude (BigGAN truncation).
        keep_best: keep this fraction of the candidates by `score` (rejection sampling).
        score: ``score(images, labels) -> realness logits``, needed by `keep_best`.
        format: ``png``, ``jpg`` or ``webp``.
        step, weights: recorded in the manifest (checkpoint step; ``average`` or ``trained``).
        progress: called with the number of images written after each batch.

    Returns:
        A `DatasetSummary`.
    """
    check_options(n=n, per_class=per_class, num_classes=num_classes, truncation=truncation,
                  keep_best=keep_best, format=format)
    out_dir = Path(out_dir)
    check_destination(out_dir, overwrite)
    counts = class_counts(num_classes, n, per_class)
    names = [str(c) for c in class_names] if class_names else [str(c) for c in
                                                               range(num_classes)]
    folders = [_folder_name(name, label) for label, name in enumerate(names)]
    # Resolved, so "." or "data/" still has a name to put the hidden sibling beside.
    target = out_dir.resolve()
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)  # left by a crash
    partial.mkdir(parents=True)
    written = 0
    try:
        for folder in folders:
            (partial / folder).mkdir(exist_ok=True)
        with open(partial / MANIFEST, "w", newline="", encoding="utf-8") as table, \
                open(partial / MANIFEST_JSON, "w", encoding="utf-8") as lines:
            writer = csv.writer(table, lineterminator="\n")
            writer.writerow(COLUMNS)
            for batch in iter_samples(draw, latent_dim=latent_dim, num_classes=num_classes,
                                      counts=counts, seed=seed, truncation=truncation,
                                      keep_best=keep_best, score=score,
                                      batch_size=batch_size):
                for row, image in enumerate(batch.images):
                    label = None if batch.labels is None else int(batch.labels[row])
                    index = int(batch.indices[row])
                    name = f"{index:06d}.{format}"
                    file = name if label is None else f"{folders[label]}/{name}"
                    _save(image, partial / file, format)
                    record = {"file": file, "label": label,
                              "class_name": None if label is None else names[label],
                              "seed": seed, "index": index, "truncation": truncation,
                              "step": step, "weights": weights,
                              "score": None if batch.scores is None
                              else round(float(batch.scores[row]), 6)}
                    writer.writerow(["" if record[c] is None else record[c] for c in COLUMNS])
                    lines.write(json.dumps(record) + "\n")
                written += len(batch.images)
                if progress is not None:
                    progress(written)
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(partial, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return DatasetSummary(out_dir, written, tuple(counts), format)


def _save(image: np.ndarray, path: Path, format: str) -> None:
    picture = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
    buffer = io.BytesIO()
    picture.save(buffer, **_SAVE_OPTIONS[format])
    path.write_bytes(buffer.getvalue())


def read_manifest(out_dir: str | os.PathLike) -> list[dict]:
    """The rows of ``DIR/manifest.jsonl``, in the order the images were written."""
    path = Path(out_dir) / MANIFEST_JSON
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# --- ganzoo-edge MODEL --out-dir DIR (the command line's data-set mode) ------------------------

def add_arguments(parser) -> None:
    """The data-set options of ``ganzoo-edge``; `run` acts on them when ``--out-dir`` is given."""
    parser.add_argument("--out-dir", metavar="DIR",
                        help="write a labelled data set (one image per sample, manifest.csv, "
                             "manifest.jsonl) instead of a grid; --n is then split over the "
                             "classes")
    parser.add_argument("--per-class", type=int, metavar="N",
                        help="with --out-dir: images per class, instead of --n (conditional "
                             "generators)")
    parser.add_argument("--format", default="png", metavar="png|jpg|webp",
                        help="with --out-dir: image file format (default png)")
    parser.add_argument("--truncation", type=float, metavar="PSI",
                        help="with --out-dir: redraw latent entries with |z| > PSI")
    parser.add_argument("--overwrite", action="store_true",
                        help="with --out-dir: replace an existing non-empty DIR")


def run(args, generator) -> str:
    """Write the data set `args` asks for with an exported `generator`; return the report line.

    The latents are rows 0, 1, ... of the seed (`ganzoo_edge.latents`), as in ``ganzoo sample
    --out-dir``, so an exported generator writes the same data set as its run, up to export
    precision.
    """
    import sys

    if args.label is not None:
        raise EdgeError(f"--label draws one class into a grid; a data set takes every class "
                        f"(use --per-class). Received: --label={args.label}.")
    n = None if args.per_class is not None else (args.n or 16)  # --n's default, as for grids
    metadata = generator.metadata

    def draw(z: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
        from ganzoo_edge.images import to_uint8

        return to_uint8(generator(z, labels))

    def progress(done: int) -> None:
        print(f"\rganzoo-edge: {done} images written", end="", file=sys.stderr, flush=True)

    summary = write_dataset(
        args.out_dir, draw, latent_dim=generator.latent_dim,
        num_classes=generator.num_classes, class_names=generator.class_names, n=n,
        per_class=args.per_class, seed=args.seed or 0, truncation=args.truncation,
        format=args.format, overwrite=args.overwrite,
        step=metadata.get("training_step"), weights="exported",
        progress=progress)
    print(file=sys.stderr)
    return (f"Wrote {summary.count} images from {metadata.get('architecture')} to "
            f"{summary.path} (manifest: {summary.manifest})")
