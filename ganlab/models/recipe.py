"""The options every classic procedure shares: the adversarial loss, the discriminator updates
per generator update and the penalty, each its own config key.

`model.loss` picks a pair of functions from `ganlab.losses.LOSSES`; `model.n_critic` is how
many discriminator updates (each on its own real batch) come before each generator update;
`model.penalty` is `none`, a penalty on the discriminator's input gradient
(`gradient_penalty`: WGAN-GP's on interpolates, `r1`: Mescheder et al.'s on real images,
weighted by `model.penalty_weight`) or `weight_clipping` (every discriminator parameter
clamped to ±`model.clip_value` after each update). `model.penalty_every=k` applies the
penalty only on every k-th generator step, weighted k times (StyleGAN2's lazy
regularisation), so its average strength stays that of `penalty_weight`.

DCGAN and WGAN are presets of this one mechanism: their constructors' defaults.
"""

import inspect
import warnings
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from ganlab.diagnosis.signals import decision_accuracy, separation_accuracy
from ganlab.errors import UsageError
from ganlab.losses import (
    GRADIENT_PENALTIES,
    LOSSES,
    AdversarialLoss,
    clip_weights,
    critic_gradient_norms,
    random_interpolates,
)
from ganlab.models.base import GAN
from ganlab.models.schedule import Metrics, Objective
from ganlab.run.values import Rule, at_least, choice, positive

PENALTIES = ("none", *GRADIENT_PENALTIES, "weight_clipping")
RECIPE_KEYS = ("loss", "n_critic", "penalty", "penalty_weight", "penalty_every", "clip_value")
LAZY_PENALTIES = ("r1",)
"""The penalties `penalty_every > 1` may apply lazily (StyleGAN2's R1)."""


class RecipeGAN(GAN):
    """A procedure whose loss, discriminator updates per step and penalty are options.
    A preset subclass gives their defaults in its constructor and says how its scores are
    logged (`score_metrics`); `metric_prefix` starts the penalty's logged names."""

    metric_prefix = "d"
    renamed_keys: Mapping[str, str] = {}
    """Hyper-parameters older checkpoints hold under another name: old name → new name."""
    rules = (
        *GAN.rules,
        choice("loss", tuple(LOSSES)),
        Rule("n_critic", "integer", ">= 1", at_least(1), always_name_type=True),
        choice("penalty", PENALTIES),
        Rule("penalty_weight", "number", ">= 0", at_least(0), label="the penalty weight"),
        Rule("penalty_every", "integer", ">= 1", at_least(1)),
        Rule("clip_value", "number", "> 0", positive),
    )

    @classmethod
    def check_values(cls, values: Mapping[str, Any], prefix: str | None = None) -> None:
        """The rules, then lazy regularisation only where it is defined."""
        super().check_values(values, prefix)
        prefix = cls.config_prefix if prefix is None else prefix
        every, penalty = values.get("penalty_every", 1), values.get("penalty", "none")
        if every != 1 and penalty not in LAZY_PENALTIES:
            raise UsageError(
                f"{prefix}penalty_every={every} (lazy regularisation) applies to "
                f"{prefix}penalty={' or '.join(LAZY_PENALTIES)}, not {prefix}penalty={penalty}: "
                f"set {prefix}penalty_every=1"
            )

    def __init__(
        self,
        *args,
        loss: str,
        n_critic: int,
        penalty: str,
        penalty_weight: float,
        penalty_every: int,
        clip_value: float,
        **kwargs,
    ):
        recipe = {
            "loss": loss,
            "n_critic": n_critic,
            "penalty": penalty,
            "penalty_weight": penalty_weight,
            "penalty_every": penalty_every,
            "clip_value": clip_value,
        }
        self.check_values(recipe)
        super().__init__(*args, **kwargs)
        self.save_hyperparameters(recipe)
        self.loss_name = loss
        self.adversarial_loss: AdversarialLoss = LOSSES[loss]
        self.n_critic = n_critic
        self.penalty_name = penalty
        self.penalty_weight = penalty_weight
        self.penalty_every = penalty_every
        self.clip_value = clip_value
        if penalty in GRADIENT_PENALTIES and any(
            isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.discriminator.modules()
        ):
            warnings.warn(
                f"the {penalty} penalty is per sample, but the discriminator uses batch norm, "
                f"which couples the samples; set model.net.discriminator.norm to none, layer "
                f"or instance",
                stacklevel=2,
            )

    @classmethod
    def upgraded_hyper_parameters(cls, saved: Mapping[str, Any]) -> dict[str, Any]:
        """A checkpoint's hyper-parameters as this version names them: old names renamed,
        options newer than the checkpoint at the defaults it was trained with."""
        upgraded = {cls.renamed_keys.get(key, key): value for key, value in saved.items()}
        parameters = inspect.signature(cls.__init__).parameters
        defaults = {key: parameters[key].default for key in RECIPE_KEYS if key in parameters}
        return defaults | upgraded

    def networks_to_compile(self) -> tuple[str, ...]:
        """A gradient penalty differentiates the discriminator's input gradient, which a
        compiled discriminator cannot (torch.compile has no double backward): it stays eager."""
        if self.penalty_name in GRADIENT_PENALTIES:
            return ("generator",)
        return super().networks_to_compile()

    @property
    def real_batches_per_step(self) -> int:
        """Each discriminator update takes its own real batch: n_critic of them per step."""
        return self.n_critic

    def discriminator_loss(
        self, real_logits: torch.Tensor, fake_logits: torch.Tensor
    ) -> torch.Tensor:
        return self.adversarial_loss.discriminator(real_logits, fake_logits)

    def score_metrics(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> Metrics:
        """What the discriminator's outputs say, logged beside its loss."""
        return {}

    def discriminator_accuracy(
        self, real_logits: torch.Tensor, fake_logits: torch.Tensor
    ) -> Metrics:
        """`d_acc_*` on the loss's decision threshold; a critic's scores have none, so
        `c_acc_*` count the scores on the right side of the other set's mean."""
        threshold = self.adversarial_loss.decision_threshold
        if threshold is None:
            real, fake = separation_accuracy(real_logits, fake_logits)
            return {"c_acc_real": real, "c_acc_fake": fake}
        real, fake = decision_accuracy(real_logits, fake_logits, threshold)
        return {"d_acc_real": real, "d_acc_fake": fake}

    def discriminator_objective(
        self, real_logits: torch.Tensor, fake_logits: torch.Tensor
    ) -> Objective:
        return Objective(
            self.discriminator_loss(real_logits, fake_logits),
            self.score_metrics(real_logits.detach(), fake_logits.detach()),
        )

    def generator_objective(self, fake_logits: torch.Tensor) -> Objective:
        return Objective(self.adversarial_loss.generator(fake_logits))

    def penalty_due(self) -> bool:
        """Lazy regularisation: on every `penalty_every`-th generator step (all of its
        discriminator updates), counted from `global_step`, so a resumed run keeps the rhythm."""
        return self.global_step % self.penalty_every == 0

    def penalty(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
    ) -> Objective | None:
        if self.penalty_name not in GRADIENT_PENALTIES or not self.penalty_due():
            return None
        function, short = GRADIENT_PENALTIES[self.penalty_name]
        value, norms = function(self.discriminator, real, fake, labels)
        weight = self.penalty_weight * self.penalty_every
        prefix = self.metric_prefix
        return Objective(
            weight * value,
            {f"{prefix}_{short}": value.detach(), f"{prefix}_grad_norm": norms.detach().mean()},
        )

    def after_discriminator_update(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None, last: bool
    ) -> Metrics:
        if self.penalty_name != "weight_clipping":
            return {}
        clip_weights(self.discriminator, self.clip_value)
        if not last:
            return {}
        # the clipped critic's gradient norm, for comparison with a gradient penalty
        norms = critic_gradient_norms(
            self.discriminator, random_interpolates(real, fake), labels, create_graph=False
        )
        return {f"{self.metric_prefix}_grad_norm": norms.mean()}
