"""Training is set-up, a short loop and callbacks; callbacks are a plugin hook; resume obeys the
config's own policy for each setting."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import ganzoo
from ganzoo.errors import RunError
from ganzoo.plugin import Callback, CallbackSpec, hookimpl
from ganzoo.runs import FIXED, MAY_CHANGE, RECORDED, Run, resume_policies
from ganzoo.testing import registry_with

TINY = dict(data="digits", batch_size=8, image_size=28, progress=False)
DOCS = Path(__file__).resolve().parents[1] / "docs"


class Recorder(Callback):
    """Writes down every event it meets."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def on_train_begin(self, session) -> None:
        self.events.append(("begin", session.start_step))

    def on_step_begin(self, session, step: int) -> None:
        self.events.append(("step_begin", step))

    def on_step_end(self, session, step: int, logs: dict) -> None:
        self.events.append(("step_end", step, sorted(logs)))

    def on_log(self, session, step: int, record: dict) -> None:
        self.events.append(("log", step, sorted(record)))

    def on_checkpoint(self, session, step: int, path: str) -> None:
        self.events.append(("checkpoint", step, Path(path).name))

    def on_train_end(self, session, logs: dict) -> None:
        self.events.append(("end", logs["step"], logs["interrupted"], logs["error"]))


class RecorderPlugin:
    """A third-party plugin adding one callback to every run."""

    def __init__(self) -> None:
        self.recorders: list[Recorder] = []

    def _create(self, session) -> Recorder:
        self.recorders.append(Recorder())
        return self.recorders[-1]

    @hookimpl
    def ganzoo_callbacks(self):
        return [CallbackSpec("recorder", "records events", self._create)]


def test_a_callback_plugin_meets_every_event_in_order(tmp_path):
    plugin = RecorderPlugin()
    registry = registry_with(plugin, builtins=True)
    ganzoo.train("mlp-gan", steps=4, out=tmp_path, log_every=2, checkpoint_every=2,
                 registry=registry, **TINY)
    loss_record = ["d_loss", "g_loss", "images_per_second", "seconds", "step"]
    per_step = lambda step: [("step_begin", step), ("step_end", step, ["d_loss", "g_loss"])]
    assert plugin.recorders[0].events == [
        ("begin", 0), *per_step(1),
        *per_step(2)[:1], ("log", 2, loss_record), ("checkpoint", 2, "ckpt-2"),
        per_step(2)[1], *per_step(3),
        *per_step(4)[:1], ("log", 4, loss_record), ("checkpoint", 4, "ckpt-4"),
        per_step(4)[1], ("end", 4, False, None)]


def test_callbacks_passed_to_train_run_after_the_plugins_and_see_their_records(tmp_path):
    recorder = Recorder()
    run = ganzoo.train("mlp-gan", steps=2, out=tmp_path, log_every=1, callbacks=[recorder],
                       **TINY).run
    logged = [event for event in recorder.events if event[0] == "log"]
    written = [json.loads(line) for line in run.metrics_path.read_text().splitlines()]
    assert [event[1] for event in logged] == [record["step"] for record in written] == [1, 2]


def test_a_stop_requested_by_a_callback_ends_the_run_with_a_checkpoint(tmp_path):
    class StopAtTwo(Callback):
        def on_step_end(self, session, step: int, logs: dict) -> None:
            if step == 2:
                session.request_stop()

    result = ganzoo.train("mlp-gan", steps=10, out=tmp_path, checkpoint_every=5,
                          callbacks=[StopAtTwo()], **TINY)
    assert (result.step, result.interrupted) == (2, True)
    assert result.run.checkpoint_steps() == [2]
    assert result.run.generator_path.exists()


def test_a_failing_session_tells_every_callback_why_and_writes_no_final_generator(tmp_path):
    class Broken(Callback):
        def on_step_end(self, session, step: int, logs: dict) -> None:
            raise RuntimeError("tracker unreachable")

    recorder = Recorder()
    with pytest.raises(RuntimeError, match="tracker unreachable"):
        ganzoo.train("mlp-gan", steps=3, out=tmp_path, checkpoint_every=1,
                     callbacks=[recorder, Broken()], **TINY)
    end = recorder.events[-1]
    assert end[0] == "end" and isinstance(end[3], RuntimeError)
    assert not list(tmp_path.glob("*/generator.keras"))


def test_a_run_reads_its_data_once_even_when_it_evaluates(tmp_path, monkeypatch):
    import ganzoo.data

    opened = []
    load_data = ganzoo.data.load_data

    def counting(source, *args, **kwargs):
        opened.append(source)
        return load_data(source, *args, **kwargs)

    monkeypatch.setattr(ganzoo.data, "load_data", counting)
    run = ganzoo.train("cgan", steps=2, out=tmp_path, eval_every=2, **TINY).run
    assert opened == ["digits"]
    opened.clear()
    ganzoo.train(resume=run.path, steps=3, progress=False)
    assert opened == ["digits"]


def test_a_run_records_the_fingerprint_of_its_data_not_only_its_name(tmp_path):
    config = ganzoo.train("mlp-gan", steps=1, out=tmp_path, **TINY).run.config
    assert re.fullmatch(r"[0-9a-f]{64}", config.data_fingerprint)


def test_resume_takes_new_intervals_and_records_them(tmp_path):
    run = ganzoo.train("mlp-gan", steps=4, out=tmp_path, sample_every=4, log_every=4,
                       checkpoint_every=4, **TINY).run
    ganzoo.train(resume=run.path, steps=8, sample_every=2, log_every=1, checkpoint_every=2,
                 progress=False)
    reopened = Run.open(run.path)
    assert (reopened.config.sample_every, reopened.config.log_every,
            reopened.config.checkpoint_every) == (2, 1, 2)
    samples = sorted(p.name for p in run.samples_dir.glob("step-*.png"))
    assert samples == [f"step-{s:07d}.png" for s in (4, 6, 8)]
    steps = [json.loads(line)["step"] for line in run.metrics_path.read_text().splitlines()]
    assert steps == [4, 5, 6, 7, 8]
    assert reopened.checkpoint_steps() == [4, 6, 8]


@pytest.mark.parametrize("setting", [dict(strict=True), dict(seed=3), dict(deterministic=False),
                                     dict(batch_size=16)], ids=lambda s: next(iter(s)))
def test_resume_refuses_a_new_value_for_a_fixed_setting(tmp_path, setting):
    run = ganzoo.train("mlp-gan", steps=1, out=tmp_path, **TINY).run
    name = next(iter(setting))
    with pytest.raises(RunError, match=f"--{name.replace('_', '-')} cannot change when resuming"):
        ganzoo.train(resume=run.path, steps=2, progress=False, **setting)


def test_resume_accepts_a_fixed_setting_given_with_its_recorded_value(tmp_path):
    run = ganzoo.train("mlp-gan", steps=1, out=tmp_path, seed=0, **TINY).run
    result = ganzoo.train(resume=run.path, steps=2, seed=0, batch_size=8, progress=False)
    assert result.step == 2


def test_every_config_field_has_a_resume_policy():
    assert set(resume_policies().values()) <= {FIXED, MAY_CHANGE, RECORDED}


def test_the_docs_resume_table_matches_the_config():
    text = (DOCS / "training.md").read_text(encoding="utf-8")
    table = text.split("<!-- resume-table -->")[1].split("<!-- /resume-table -->")[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| ([a-z ]+?) \|", table, flags=re.M))
    assert rows == resume_policies()


def test_the_docs_callback_table_lists_every_built_in_callback_in_its_order():
    from ganzoo.training.callbacks import BUILT_IN_CALLBACKS

    text = (DOCS / "training.md").read_text(encoding="utf-8")
    section = text.split("## Callbacks: what happens around each step")[1].split("\n## ")[0]
    rows = [(int(order), name) for order, name in
            re.findall(r"^\| (\d+) \| `([a-z-]+)` \|", section, flags=re.M)]
    assert rows == [(spec.order, spec.name) for spec in BUILT_IN_CALLBACKS]


def test_cli_choices_come_from_the_runtime():
    from ganzoo.cli import build_parser
    from ganzoo.training import runtime

    train = build_parser(plugin_commands=False)._subparsers._group_actions[0].choices["train"]
    choices = {action.dest: action.choices for action in train._actions if action.choices}
    assert tuple(choices["precision"]) == runtime.PRECISIONS
    assert tuple(choices["strategy"]) == runtime.STRATEGIES


def test_the_trainer_loop_stays_short():
    import inspect

    from ganzoo.training import trainer

    assert len(inspect.getsource(trainer._loop).splitlines()) < 100


def test_the_docs_flag_table_lists_every_built_in_loss():
    from ganzoo.registry import default_registry

    row = next(line for line in (DOCS / "training.md").read_text().splitlines()
               if line.startswith("| `--loss L`"))
    built_in = {name for name, provided in default_registry().losses().items()
                if provided.plugin.distribution == "ganzoo"}
    assert set(re.findall(r"`([a-z-]+)`", row.split("|")[4])) == built_in


def test_training_without_ganzoos_checkpoint_callback_is_refused(tmp_path):
    from ganzoo.errors import GanzooError
    from ganzoo.registry import Registry

    from ganzoo import losses
    from ganzoo.architectures import mlp_gan
    from ganzoo.data import builtin as datasets

    registry = Registry(autoload=False)
    for name, module in (("losses", losses), ("datasets", datasets), ("mlp-gan", mlp_gan)):
        registry.register(module, name, "ganzoo")
    with pytest.raises(GanzooError, match="'checkpoints' callback"):
        ganzoo.train("mlp-gan", steps=1, out=tmp_path, registry=registry, **TINY)
