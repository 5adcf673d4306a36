"""The example plugin in plugins/ganzoo-wgan-gp behaves like any third-party plugin: installed
with pip it is listed, trained and recorded; uninstalled it is gone."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import ganzoo
from ganzoo.cli import main

PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "ganzoo-wgan-gp"


def installed_version() -> str:
    """The plugin's version as installed: what ganzoo reads, not the pyproject's."""
    return metadata.version("ganzoo-wgan-gp")


def test_the_installed_plugin_is_listed_with_its_distribution_and_version(capsys):
    assert main(["list"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines()
               if line.startswith("wgan-gp"))
    assert f"ganzoo-wgan-gp {installed_version()}" in row and "arxiv.org/abs/1704.00028" in row


def test_ganzoo_plugins_reports_its_hooks_and_architectures(capsys):
    assert main(["plugins", "--json"]) == 0
    plugins = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert plugins["wgan-gp"] == {
        "name": "wgan-gp", "distribution": "ganzoo-wgan-gp", "version": installed_version(),
        "status": "ok", "error": None, "hooks": ["ganzoo_architectures"],
        "provides": {"architectures": ["wgan-gp"]}, "requires_contract": ">=2.0,<3"}


def test_a_wgan_gp_run_records_the_plugin_that_provided_it(tmp_path, capsys):
    code = main(["train", "--arch", "wgan-gp", "--steps", "2", "--batch-size", "8",
                 "--out", str(tmp_path), "--quiet"])
    assert code == 0, capsys.readouterr().err
    run = Path(capsys.readouterr().out.strip().splitlines()[-1])
    config = json.loads((run / "config.json").read_text())
    assert config["plugin"] == {"name": "wgan-gp", "distribution": "ganzoo-wgan-gp",
                                "version": installed_version()}
    assert config["discriminator_steps"] == 5 and config["loss"] == "wasserstein-gp"


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
                   check=True, timeout=300)


@pytest.mark.slow
def test_uninstalling_the_plugin_removes_it_and_its_runs_say_what_to_install(tmp_path):
    run = ganzoo.train("wgan-gp", steps=1, batch_size=8, out=tmp_path, progress=False).run
    pip("uninstall", "-y", "ganzoo-wgan-gp")
    try:
        listing = subprocess.run([sys.executable, "-m", "ganzoo", "list"], capture_output=True,
                                 text=True, timeout=120)
        assert listing.returncode == 0 and "dcgan" in listing.stdout
        assert "wgan-gp" not in listing.stdout
        sampling = subprocess.run([sys.executable, "-m", "ganzoo", "sample", str(run.path),
                                   "--out", str(tmp_path / "x.png")],
                                  capture_output=True, text=True, timeout=120)
        assert sampling.returncode == 2
        assert "pip install ganzoo-wgan-gp" in sampling.stderr
    finally:
        pip("install", "--no-deps", "--no-build-isolation", "-e", str(PLUGIN))
