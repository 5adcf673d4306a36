"""What ``ganzoo train`` chooses where the flags leave it open: a measured recommendation.

The rules come from benchmarks, not taste: the digits figures of benchmarks/quality.py and the
colour-folder figures of benchmarks/folder_quality.py (docs/benchmarks.md, "Sample quality" and
"Your own pictures"). docs/training.md, "Training on your own pictures", explains them; change
both together, with the figures that justify the change.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

FOLDER_IMAGE_SIZE = 64
"""The side a folder is trained at unless --image-size says otherwise (with a named
architecture, where that architecture builds it): the largest that trains to recognisable
pictures in half an hour on a laptop CPU (issue #13)."""


CONDITIONAL = "cfastgan"
"""What a folder of class subfolders trains when no architecture is named."""


@dataclass(frozen=True)
class Recommendation:
    """The architecture, augmentation, image size and precision for a data set, and the
    one-line reason shown."""

    arch: str
    augment: str
    image_size: int
    precision: str
    reason: str

    @property
    def flags(self) -> str:
        return (f"--arch {self.arch} --augment {self.augment} --image-size {self.image_size} "
                f"--precision {self.precision}")

    def within(self, registry) -> Recommendation:
        """This recommendation as `registry` can train it: a registry without the recommended
        augmentation (a plugin's own test registry) trains without one rather than refusing a
        name nobody asked for."""
        if self.augment in registry.augmentations():
            return self
        return dataclasses.replace(self, augment="none")

    def describe(self, arch_named: bool = False) -> str:
        """The line ``ganzoo train`` prints: the flags chosen and why. `arch_named`: the user
        named the architecture, and the rest was chosen for the folder."""
        if arch_named:
            return (f"--arch {self.arch} with a folder: training {self.flags} ({self.reason}; "
                    f"give --image-size, --augment or --precision to choose otherwise, see "
                    f"docs/training.md).")
        return (f"No --arch given: training {self.flags} ({self.reason}; name --arch to choose "
                f"another, see docs/training.md).")


def is_folder(data: str | None) -> bool:
    """Whether `data` names a folder of pictures (not a registered data set or an .npz)."""
    return bool(data) and os.path.isdir(os.path.expanduser(data))


def count_images(data: str | None) -> int | None:
    """How many images a folder holds (listing only, nothing decoded); None for a registered
    data set or an .npz file, whose size the rules do not need."""
    listing = _listing(data)
    return None if listing is None else listing[0]


def count_classes(data: str | None) -> int:
    """How many class subfolders (holding images) a folder has; 0 for a flat folder, a
    registered data set or an .npz file."""
    listing = _listing(data)
    return 0 if listing is None else listing[1]


def _listing(data: str | None) -> tuple[int, int] | None:
    if not is_folder(data):
        return None
    from ganzoo.data.folder import _discover

    paths, _, class_names = _discover(os.path.expanduser(data))
    return len(paths), len(class_names)


def folder_image_size(spec) -> int:
    """The side a folder is trained at with the architecture `spec` named and no --image-size:
    `FOLDER_IMAGE_SIZE` where it builds that, else its own default."""
    return FOLDER_IMAGE_SIZE if FOLDER_IMAGE_SIZE in spec.image_sizes else spec.defaults.image_size


def recommend(data: str | None, image_size: int | None, arch: str | None = None,
              unconditional: bool = False) -> Recommendation:
    """The recommended architecture and augmentation for `data` at `image_size` (None: the
    recommendation's own size: 64 px for a folder, 28 px otherwise). With `arch` named, its
    augmentation and precision: fastgan's as measured (cfastgan's too), dcgan's for any other
    architecture. Without it, a folder of two or more class subfolders gets cfastgan, the
    conditional form of the recommendation, unless `unconditional`."""
    listing = _listing(data)
    count = None if listing is None else listing[0]
    size = image_size or (FOLDER_IMAGE_SIZE if count is not None else 28)
    if size <= 32:
        # The bundled digits and data of that size: the quality benchmark's best at 28 px.
        return Recommendation(arch or "dcgan", "none", size, "float32",
                              "the digits-sized default, measured in docs/benchmarks.md")
    what = f"{count} pictures" if count is not None else "this data"
    reason = f"recommended for {what} at {size} px by the colour-folder benchmark"
    # 4,494 colour emoji at 64 px, 30 minutes on 2 cores (docs/benchmarks.md, "Your own pictures"):
    # fastgan with DiffAugment without cutout, as FastGAN's own code augments, in bfloat16 at its
    # default batch of 8 reached FID 5.5 and 5.2 (seeds 0, 1; faces with eyes and mouths); at batch
    # 16 6.7 and 6.2 (no faces), 3.3 and 4.1 in 60 minutes (faces); with cutout 9.1 and 7.8 (9.3
    # and 8.7 against 7.0 and 7.7 at the same step), 5.2 and 5.6 in 60 minutes, in float32 11.1
    # (1.5x fewer steps). dcgan with DiffAugment 13.1 and 8.5, without it 24.7 and 11.3, so other
    # architectures keep the cutout; the keras.io ADA example 112 and 102. On 100 of them fastgan
    # 5.4 and 6.3 at batch 8 (seed 1 at seed 0's 4,565 steps), 7.1 and 6.2 at 16 (with cutout
    # 10.1 and 9.6), the example 116 and 104; memorisation 0.000 in every run.
    if arch not in (None, "fastgan", CONDITIONAL):
        return Recommendation(arch, "diffaugment", size, "auto", reason)
    classes = 0 if listing is None else listing[1]
    if arch is None and classes >= 2 and not unconditional:
        # A class folder: the labels are what users of class folders come for (issue 26), so
        # fastgan's recipe in its conditional form; --unconditional ignores them.
        return Recommendation(CONDITIONAL, "diffaugment-no-cutout", size, "auto",
                              f"the conditional form of the recommendation for {what} in "
                              f"{classes} class folders at {size} px; --unconditional ignores "
                              f"the classes")
    return Recommendation(arch or "fastgan", "diffaugment-no-cutout", size, "auto", reason)
