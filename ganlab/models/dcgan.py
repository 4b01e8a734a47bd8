"""DCGAN procedure: binary cross-entropy, non-saturating generator loss, label tricks.

`update='alternating'` (Goodfellow's algorithm, pytorch/examples): the discriminator steps,
then the generator steps against the updated discriminator. `update='simultaneous'` (the
TensorFlow tutorial's two gradient tapes): both gradients come from one forward pass.
Its defaults are a point of `ganlab.models.recipe`: any `loss`, `n_critic` and `penalty`.
"""

from collections.abc import Mapping
from typing import Any

import torch

from ganlab.errors import UsageError
from ganlab.losses import LOSSES, discriminator_targets
from ganlab.models.recipe import RecipeGAN
from ganlab.models.schedule import UPDATES, Metrics
from ganlab.run.values import Rule, choice, in_unit_interval

LABEL_TRICKS = ("label_smoothing", "label_noise", "label_flip")
LABEL_TARGET_LOSSES = tuple(name for name, loss in LOSSES.items() if loss.label_targets)


class DCGAN(RecipeGAN):
    """The discriminator's objective logs its mean outputs on real and fake images
    (`d_real`, `d_fake`: probabilities under a cross-entropy loss, 0.5 and 0.5 when it cannot
    tell them apart; the raw outputs under the others)."""

    rules = (
        *RecipeGAN.rules,
        choice("update", UPDATES),
        *(Rule(name, "number", "in [0, 1)", in_unit_interval) for name in LABEL_TRICKS),
    )

    @classmethod
    def check_values(cls, values: Mapping[str, Any], prefix: str | None = None) -> None:
        """The rules, then the combinations no run can use: label tricks on a loss without
        labels, or several discriminator updates in one simultaneous pass."""
        super().check_values(values, prefix)
        prefix = cls.config_prefix if prefix is None else prefix
        loss = values.get("loss", "ns")
        for trick in LABEL_TRICKS:
            value = values.get(trick, 0.0)
            if value and loss not in LABEL_TARGET_LOSSES:
                raise UsageError(
                    f"{prefix}{trick}={value} changes the targets of a cross-entropy loss "
                    f"({', '.join(LABEL_TARGET_LOSSES)}), not {prefix}loss={loss}: set "
                    f"{prefix}{trick}=0 or choose {prefix}loss=ns"
                )
        n_critic = values.get("n_critic", 1)
        if values.get("update") == "simultaneous" and n_critic != 1:
            raise UsageError(
                f"{prefix}update=simultaneous takes one discriminator update per step, not "
                f"{prefix}n_critic={n_critic}: set {prefix}n_critic=1 or "
                f"{prefix}update=alternating"
            )

    def __init__(
        self,
        *args,
        update: str = "alternating",
        label_smoothing: float = 0.0,
        label_noise: float = 0.0,
        label_flip: float = 0.0,
        loss: str = "ns",
        n_critic: int = 1,
        penalty: str = "none",
        penalty_weight: float = 10.0,
        penalty_every: int = 1,
        clip_value: float = 0.01,
        **kwargs,
    ):
        own = {
            "update": update,
            "label_smoothing": label_smoothing,
            "label_noise": label_noise,
            "label_flip": label_flip,
        }
        # the combinations with the loss and n_critic first; RecipeGAN checks the rest
        self.check_values(own | {"loss": loss, "n_critic": n_critic})
        super().__init__(
            *args,
            loss=loss,
            n_critic=n_critic,
            penalty=penalty,
            penalty_weight=penalty_weight,
            penalty_every=penalty_every,
            clip_value=clip_value,
            **kwargs,
        )
        self.save_hyperparameters(own)
        self.update_mode = update

    def discriminator_loss(
        self, real_logits: torch.Tensor, fake_logits: torch.Tensor
    ) -> torch.Tensor:
        if not self.adversarial_loss.label_targets:
            return super().discriminator_loss(real_logits, fake_logits)
        tricks = {
            "smoothing": self.hparams.label_smoothing,
            "noise": self.hparams.label_noise,
            "flip": self.hparams.label_flip,
        }
        real_target = discriminator_targets(real_logits, real=True, **tricks)
        tricks["smoothing"] = 0.0
        fake_target = discriminator_targets(fake_logits, real=False, **tricks)
        return self.adversarial_loss.discriminator(
            real_logits, fake_logits, real_target, fake_target
        )

    def score_metrics(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> Metrics:
        if self.adversarial_loss.label_targets:
            real_logits, fake_logits = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
        return {"d_real": real_logits.mean(), "d_fake": fake_logits.mean()}
