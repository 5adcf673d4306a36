"""Training health: spot the three classic GAN failures from what the trainer already logs.

- **The discriminator wins outright**: its loss stays near zero (it tells every real image from
  every fake one), so the generator's gradients vanish (Goodfellow et al. 2014, section 3;
  Arjovsky & Bottou 2017, https://arxiv.org/abs/1701.04862).
- **Mode collapse**: recall (Kynkäänniemi et al. 2019) falls far below the best the run had:
  the samples stopped covering the data. Needs ``--eval-every``.
- **Divergence**: a loss grows far beyond anything the run logged before.

`HealthMonitor` sees interval means, never a per-step value, so it costs the training step
nothing. Each warning is given once when its condition starts and again only after it clears.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["HealthMonitor", "HealthWarning", "TrainingHealthWarning"]

# Discriminator losses that reach 0 when it wins: softplus (nonsaturating/minimax, and the
# relativistic average one), hinge and least squares. The Wasserstein critic's has no floor.
_ZERO_FLOOR_LOSSES = ("nonsaturating", "minimax", "hinge", "least-squares",
                      "relativistic-average")
_SHORT = {"discriminator-wins": "D wins", "mode-collapse": "mode collapse",
          "divergence": "diverging"}


class TrainingHealthWarning(UserWarning):
    """Training shows a known failure: the discriminator wins, modes collapse, losses diverge."""


@dataclass(frozen=True)
class HealthWarning:
    step: int
    code: str  # discriminator-wins, mode-collapse or divergence
    message: str
    short: str  # for the progress bar


@dataclass
class HealthMonitor:
    """Feed it logged interval means and evaluation results; it returns new warnings.

    Args:
        loss: the run's loss name; the discriminator-wins check applies to losses whose
            discriminator loss has a floor of 0.
        d_loss_floor: a mean discriminator loss below this counts as "near zero" (a
            discriminator giving p >= 0.99 to every real and 0.01 to every fake image has a
            softplus loss of about 0.02).
        patience: consecutive logged intervals near zero before warning.
        collapse_ratio: warn when recall falls below this share of the run's best recall
            (which must have reached `min_recall`).
        divergence_factor: warn when an interval's mean loss exceeds this many times the median
            of the run's earlier absolute interval means (after `warmup` intervals), and by
            more than 1.
    """

    loss: str = "nonsaturating"
    d_loss_floor: float = 0.02
    patience: int = 3
    collapse_ratio: float = 0.5
    min_recall: float = 0.2
    divergence_factor: float = 10.0
    warmup: int = 5
    _low_streak: int = 0
    _best_recall: float = 0.0
    _history: dict[str, list[float]] = field(default_factory=lambda: {"d": [], "g": []})
    _active: set[str] = field(default_factory=set)

    def observe_losses(self, step: int, d_loss: float, g_loss: float) -> list[HealthWarning]:
        """Check one logged interval's mean losses."""
        warnings = []
        if self.loss in _ZERO_FLOOR_LOSSES:
            self._low_streak = self._low_streak + 1 if d_loss < self.d_loss_floor else 0
            if self._update("discriminator-wins", self._low_streak >= self.patience):
                warnings.append(HealthWarning(
                    step, "discriminator-wins",
                    f"step {step}: the discriminator wins outright (d_loss {d_loss:.4f} < "
                    f"{self.d_loss_floor} for {self._low_streak} logged intervals; g_loss "
                    f"{g_loss:.2f}); the generator gets almost no gradient. Consider another "
                    f"--loss (e.g. hinge or wasserstein-gp), another --seed, or a checkpoint "
                    f"from before this step.", _SHORT["discriminator-wins"]))
        diverged = []
        for name, value in (("d", d_loss), ("g", g_loss)):
            history = self._history[name]
            if len(history) >= self.warmup:
                typical = sorted(history)[len(history) // 2]
                if abs(value) > max(self.divergence_factor * typical, typical + 1.0):
                    diverged.append(f"{name}_loss {value:.3g} vs a typical {typical:.3g}")
            history.append(abs(value))
        if self._update("divergence", bool(diverged)):
            warnings.append(HealthWarning(
                step, "divergence",
                f"step {step}: the losses diverge ({'; '.join(diverged)}). Consider a lower "
                f"learning rate, another --loss, or a checkpoint from before this step.",
                _SHORT["divergence"]))
        return warnings

    def observe_recall(self, step: int, recall: float) -> list[HealthWarning]:
        """Check the recall of an evaluation."""
        collapsed = (self._best_recall >= self.min_recall
                     and recall < self.collapse_ratio * self._best_recall)
        best = self._best_recall
        self._best_recall = max(self._best_recall, recall)
        if self._update("mode-collapse", collapsed):
            return [HealthWarning(
                step, "mode-collapse",
                f"step {step}: recall collapsed to {recall:.2f} from {best:.2f} earlier in the "
                f"run: the samples no longer cover the data (mode collapse). Earlier "
                f"checkpoints may be better: 'ganzoo eval RUN --checkpoint all' compares them.",
                _SHORT["mode-collapse"])]
        return []

    @property
    def status(self) -> str:
        """The conditions in force now, for the progress bar ("" when healthy)."""
        return ", ".join(_SHORT[code] for code in sorted(self._active))

    def _update(self, code: str, condition: bool) -> bool:
        """True when `condition` has just started for `code`."""
        if condition and code not in self._active:
            self._active.add(code)
            return True
        if not condition:
            self._active.discard(code)
        return False
