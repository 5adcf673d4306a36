"""`ganzoo train` without --arch: the recommended architecture, said in one line (issue #13 §3)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ganzoo.training.recommend import (FOLDER_IMAGE_SIZE, count_classes, count_images,
                                       folder_image_size, recommend)
from ganzoo.training.runtime import check_precision


def colour_folder(folder, count: int = 6, shape: tuple[int, int] = (40, 48)):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for index in range(count):
        Image.fromarray(rng.integers(0, 256, (*shape, 3), dtype=np.uint8)).save(
            folder / f"{index}.png")
    return folder


def test_a_folder_is_counted_by_listing_its_image_files(tmp_path):
    colour_folder(tmp_path / "pictures", count=5)
    (tmp_path / "pictures" / "notes.txt").write_text("not an image")

    assert count_images(str(tmp_path / "pictures")) == 5
    assert count_images("digits") is None


def test_a_folder_of_class_subfolders_trains_the_conditional_recipe_unless_told_not_to(
        tmp_path):
    for name in ("cats", "dogs"):
        colour_folder(tmp_path / "pets" / name, count=3)
    colour_folder(tmp_path / "one" / "only", count=3)
    pets, one = str(tmp_path / "pets"), str(tmp_path / "one")

    assert (count_classes(pets), count_classes(one), count_classes("digits")) == (2, 1, 0)
    choice = recommend(pets, None)
    assert (choice.arch, choice.augment, choice.precision) == (
        "cfastgan", "diffaugment-no-cutout", "auto")
    assert "2 class folders" in choice.describe() and "--unconditional" in choice.describe()
    assert recommend(pets, None, unconditional=True).arch == "fastgan"
    assert recommend(one, None).arch == "fastgan"  # one class is no condition
    # Named, cfastgan gets fastgan's measured augmentation, not the DCGAN family's.
    assert recommend(pets, None, "cfastgan").augment == "diffaugment-no-cutout"


@pytest.mark.parametrize("arch", ["cgan", "cfastgan"])
def test_unconditional_with_a_conditional_architecture_is_refused_before_any_run(tmp_path,
                                                                                 arch):
    import ganzoo
    from ganzoo.errors import GanzooError

    with pytest.raises(GanzooError, match=f"conditional architecture '{arch}'"):
        ganzoo.train(arch, data="digits", unconditional=True, out=tmp_path / "runs",
                     progress=False)
    assert not (tmp_path / "runs").exists()


def test_a_folder_gets_the_folder_size_and_a_registered_small_set_its_own():
    assert recommend(None, None).image_size == 28
    assert recommend("digits", None).augment == "none"


def test_a_folder_is_trained_at_the_folder_size_unless_a_size_is_given(tmp_path):
    folder = str(colour_folder(tmp_path / "pictures"))

    assert recommend(folder, None).image_size == FOLDER_IMAGE_SIZE
    assert recommend(folder, 128).image_size == 128


def test_the_recommendation_line_names_the_flags_that_reproduce_it(tmp_path):
    choice = recommend(str(colour_folder(tmp_path / "pictures")), None)

    line = choice.describe()

    assert line.startswith("No --arch given")
    assert (f"--arch {choice.arch} --augment {choice.augment} --image-size {choice.image_size} "
            f"--precision {choice.precision}") in line
    assert "6 pictures" in line and "\n" not in line


def test_training_a_folder_without_arch_uses_the_recommendation_and_says_so(tmp_path, capsys):
    import ganzoo

    folder = str(colour_folder(tmp_path / "pictures"))
    choice = recommend(folder, None)

    result = ganzoo.train(data=folder, steps=1, batch_size=2, out=tmp_path / "runs")

    config = result.run.config
    assert (config.arch, config.augment, config.image_size) == (
        choice.arch, choice.augment, choice.image_size)
    assert config.precision == check_precision(choice.precision)  # what "auto" became here
    assert choice.describe() in capsys.readouterr().out


@pytest.mark.parametrize("arch, augment", [("dcgan", "diffaugment"),
                                           ("fastgan", "diffaugment-no-cutout")])
def test_a_named_arch_on_a_folder_takes_the_augmentation_and_precision_measured_for_it(
        tmp_path, arch, augment):
    import ganzoo

    folder = str(colour_folder(tmp_path / "pictures"))
    choice = recommend(folder, 64, arch)

    config = ganzoo.train(arch, folder, steps=1, batch_size=2, image_size=64,
                          out=tmp_path / "runs", progress=False).run.config

    assert (config.augment, config.precision) == (augment, check_precision("auto"))
    assert (config.augment, config.precision) == (choice.augment,
                                                  check_precision(choice.precision))


def test_fastgan_is_recommended_with_the_augmentation_its_own_code_uses(tmp_path):
    folder = str(colour_folder(tmp_path / "pictures"))

    choice = recommend(folder, None)

    assert (choice.arch, choice.augment) == ("fastgan", "diffaugment-no-cutout")
    assert recommend(folder, None, "fastgan") == choice
    assert recommend(folder, 128, "sngan").augment == "diffaugment"


def test_a_named_arch_on_digits_sized_data_trains_without_augmentation_in_float32(tmp_path):
    import ganzoo

    folder = str(colour_folder(tmp_path / "pictures"))

    config = ganzoo.train("mlp-gan", folder, steps=1, batch_size=2, image_size=28,
                          out=tmp_path / "runs", progress=False).run.config

    assert (config.augment, config.precision) == ("none", "float32")


def train_from_the_command_line(capsys, tmp_path, *argv: str):
    """`ganzoo train ARGV` for one step; the run's config and the line that says what was
    chosen for the data (None when none was printed)."""
    from ganzoo.cli import main
    from ganzoo.runs import Run

    code = main(["train", *argv, "--steps", "1", "--batch-size", "2", "--out",
                 str(tmp_path / "runs")])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    said = [line for line in lines if "with a folder: training" in line]
    return Run.open(lines[-1]).config, (said[0] if said else None)


def test_a_named_arch_on_a_folder_gets_the_folder_size_augmentation_and_precision(
        tmp_path, capsys):
    folder = str(colour_folder(tmp_path / "pictures", count=40, shape=(64, 64)))

    config, line = train_from_the_command_line(capsys, tmp_path, "--arch", "dcgan",
                                               "--data", folder)

    assert (config.image_size, config.augment) == (FOLDER_IMAGE_SIZE, "diffaugment")
    assert config.precision == check_precision("auto")
    assert line.startswith("--arch dcgan with a folder: training --arch dcgan --augment "
                           "diffaugment --image-size 64 --precision auto (recommended for 40 "
                           "pictures at 64 px")


def test_an_image_size_given_wins_over_the_folder_size_and_the_line_says_so(tmp_path, capsys):
    folder = str(colour_folder(tmp_path / "pictures", count=40, shape=(64, 64)))

    config, line = train_from_the_command_line(capsys, tmp_path, "--arch", "dcgan",
                                               "--data", folder, "--image-size", "32")

    # 32 px is digits-sized: the quality benchmark's setting, as without --arch.
    assert (config.image_size, config.augment, config.precision) == (32, "none", "float32")
    assert "--arch dcgan --augment none --image-size 32 --precision float32" in line


def test_a_named_arch_on_digits_keeps_its_own_size_and_says_nothing(tmp_path, capsys):
    config, line = train_from_the_command_line(capsys, tmp_path, "--arch", "dcgan",
                                               "--data", "digits")

    assert (config.image_size, config.augment, config.precision) == (28, "none", "float32")
    assert line is None


def test_an_architecture_without_the_folder_size_trains_a_folder_at_its_own_default():
    from ganzoo.plugin import ArchitectureSpec, Defaults, Paper

    def spec(sizes, default):
        return ArchitectureSpec("tiny", "test", Paper("A paper", "https://arxiv.org"),
                                build_generator=None, build_discriminator=None,
                                image_sizes=sizes, defaults=Defaults(image_size=default))

    assert folder_image_size(spec((28, 32, 64, 128), 28)) == FOLDER_IMAGE_SIZE
    assert folder_image_size(spec((28,), 28)) == 28
    assert folder_image_size(spec((32, 128), 32)) == 32


def registry_without_augmentations():
    """ganzoo's built-in losses, data sets, callbacks, dcgan and fastgan, and no augmentation:
    a registry like a plugin's own test registry."""
    from ganzoo import __version__, losses
    from ganzoo.architectures import dcgan, fastgan
    from ganzoo.data import builtin as datasets
    from ganzoo.registry import Registry
    from ganzoo.training import callbacks

    registry = Registry(autoload=False)
    for module, name in ((losses, "losses"), (datasets, "datasets"), (callbacks, "callbacks"),
                         (dcgan, "dcgan"), (fastgan, "fastgan")):
        registry.register(module, name, "ganzoo", __version__)
    return registry


def test_a_registry_without_the_recommended_augmentation_trains_without_one(tmp_path):
    import ganzoo

    folder = str(colour_folder(tmp_path / "pictures"))

    config = ganzoo.train("dcgan", folder, steps=1, batch_size=2, image_size=64,
                          out=tmp_path / "runs", progress=False,
                          registry=registry_without_augmentations()).run.config

    assert config.augment == "none"


def test_the_recommendation_line_says_no_augmentation_where_the_registry_has_none(tmp_path,
                                                                                   capsys):
    import ganzoo

    folder = str(colour_folder(tmp_path / "pictures"))

    config = ganzoo.train(data=folder, steps=1, batch_size=2, out=tmp_path / "runs",
                          registry=registry_without_augmentations()).run.config

    line = next(line for line in capsys.readouterr().out.splitlines()
                if line.startswith("No --arch given"))
    assert config.augment == "none"
    assert "--augment none" in line and "diffaugment" not in line


def test_named_arch_and_augment_win_over_the_recommendation(tmp_path):
    import ganzoo

    folder = str(colour_folder(tmp_path / "pictures"))

    config = ganzoo.train("mlp-gan", folder, steps=1, batch_size=2, image_size=64,
                          augment="ada", precision="float32", out=tmp_path / "runs",
                          progress=False).run.config

    assert (config.arch, config.augment, config.precision) == ("mlp-gan", "ada", "float32")


def test_the_command_line_trains_a_folder_without_arch(tmp_path, capsys):
    from ganzoo.cli import main

    folder = str(colour_folder(tmp_path / "pictures"))

    code = main(["train", "--data", folder, "--steps", "1", "--batch-size", "2", "--out",
                 str(tmp_path / "runs")])

    out = capsys.readouterr().out
    assert code == 0
    assert recommend(folder, None).describe() in out


def test_arch_and_resume_together_are_refused(tmp_path, capsys):
    from ganzoo.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["train", "--arch", "dcgan", "--resume", str(tmp_path)])

    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("size", [FOLDER_IMAGE_SIZE])
def test_the_folder_size_is_one_every_recommended_architecture_builds(size, tmp_path):
    from ganzoo.registry import default_registry

    choice = recommend(str(colour_folder(tmp_path / "pictures")), None)

    assert size in default_registry().architecture(choice.arch).image_sizes
