"""docs/plugins.md is part of the contract: every hook has a section, and its example plugin
really works."""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

from ganzoo import hookspecs
from ganzoo.testing import check_architecture, registry_with

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"


def test_every_hook_has_a_section_in_the_plugin_guide():
    hooks = [name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
             if name.startswith("ganzoo_")]
    sections = set(re.findall(r"^### `(ganzoo_\w+)`", GUIDE.read_text(), re.MULTILINE))
    assert sorted(set(hooks) - sections) == [], "hooks missing from docs/plugins.md"


def test_the_complete_plugin_in_the_guide_keeps_the_contract(tmp_path):
    source = re.search(r"```python\n(\"\"\"TinyGAN.*?)```", GUIDE.read_text(), re.DOTALL).group(1)
    assert 30 <= len(source.splitlines()) <= 60
    module = types.ModuleType("tiny_gan")
    exec(compile(source, "docs/plugins.md", "exec"), module.__dict__)
    registry = registry_with(module)
    report = check_architecture("tiny-gan", registry=registry, export=False, workdir=tmp_path)
    assert report.shapes == ((28, 28, 1),)


def test_the_callback_plugin_in_the_guide_writes_its_file_beside_the_run(tmp_path):
    import csv

    import ganzoo

    source = re.search(r"```python\n(\"\"\"CSV log.*?)```", GUIDE.read_text(), re.DOTALL).group(1)
    module = types.ModuleType("csv_log")
    exec(compile(source, "docs/plugins.md", "exec"), module.__dict__)
    registry = registry_with(module, builtins=True)
    run = ganzoo.train("mlp-gan", steps=4, log_every=2, batch_size=8, out=tmp_path,
                       registry=registry, progress=False).run
    with open(run.path / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["step"]) for row in rows] == [2, 4]


def test_the_augmentation_plugin_in_the_guide_trains_and_flips_half_the_images(tmp_path):
    import numpy as np

    import ganzoo

    source = re.search(r"```python\n(\"\"\"Mirror.*?)```", GUIDE.read_text(), re.DOTALL).group(1)
    module = types.ModuleType("mirror")
    exec(compile(source, "docs/plugins.md", "exec"), module.__dict__)
    images = np.arange(2 * 2 * 3, dtype=np.float32).reshape(2, 2, 3, 1)
    flipped = module.Mirror().apply(images, np.array([[0.2], [0.7]], np.float32)).numpy()
    np.testing.assert_array_equal(flipped, [images[0, :, ::-1], images[1]])
    run = ganzoo.train("dcgan", steps=2, batch_size=8, augment="mirror", out=tmp_path,
                       registry=registry_with(module, builtins=True), progress=False).run
    assert run.config.augment == "mirror" and run.checkpoint_steps() == [2]


def test_the_relativistic_loss_plugin_in_the_guide_passes_the_loss_kit():
    import numpy as np

    from ganzoo.testing import check_loss

    source = re.search(r"```python\n(\"\"\"Relativistic average hinge.*?)```", GUIDE.read_text(),
                       re.DOTALL).group(1)
    module = types.ModuleType("ra_hinge")
    exec(compile(source, "docs/plugins.md", "exec"), module.__dict__)

    def rahinge(real, fake):  # the paper's RaHingeGAN, per example
        r, f = real - fake.mean(), fake - real.mean()
        return (np.maximum(0, 1 - r) + np.maximum(0, 1 + f),
                np.maximum(0, 1 - f) + np.maximum(0, 1 + r))

    report = check_loss("relativistic-hinge", registry=registry_with(module), reference=rahinge)
    assert report.name == "relativistic-hinge"
