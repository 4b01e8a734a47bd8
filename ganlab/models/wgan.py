"""WGAN procedure: a critic (no sigmoid) estimates the Wasserstein distance, kept Lipschitz by a
gradient penalty (WGAN-GP, Gulrajani et al. 2017, default) or by weight clipping (the original
WGAN, Arjovsky et al. 2017).

One training step is Algorithm 1 of Gulrajani et al.: the loader delivers `n_critic` real
batches at once (`real_batches_per_step`), each feeds one critic update with fresh noise, then
the generator takes one step with fresh noise (`generator_reuses_fakes = False`); the base
schedule counts only the generator's step in `trainer.global_step`.
"""

import warnings

import torch
from torch import nn

from ganlab.diagnosis.signals import separation_accuracy
from ganlab.losses import (
    clip_weights,
    critic_gradient_norms,
    critic_wasserstein_loss,
    generator_wasserstein_loss,
    gradient_penalty,
    random_interpolates,
)
from ganlab.models.base import GAN
from ganlab.models.schedule import Metrics, Objective
from ganlab.run.values import Rule, at_least, choice, positive

CONSTRAINTS = ("gradient_penalty", "weight_clipping")


class WGAN(GAN):
    generator_reuses_fakes = False
    discriminator_loss_name = "c_loss"
    progress_bar_metrics = ("c_wass", "g_loss")
    rules = (
        *GAN.rules,
        choice("constraint", CONSTRAINTS),
        Rule("n_critic", "integer", ">= 1", at_least(1), always_name_type=True),
        Rule("gp_weight", "number", ">= 0", at_least(0), label="the penalty weight λ"),
        Rule("clip_value", "number", "> 0", positive),
    )

    def __init__(
        self,
        *args,
        n_critic: int = 5,
        constraint: str = "gradient_penalty",
        gp_weight: float = 10.0,
        clip_value: float = 0.01,
        **kwargs,
    ):
        self.check_values(
            {
                "n_critic": n_critic,
                "constraint": constraint,
                "gp_weight": gp_weight,
                "clip_value": clip_value,
            }
        )
        super().__init__(*args, **kwargs)
        self.save_hyperparameters(
            {
                "n_critic": n_critic,
                "constraint": constraint,
                "gp_weight": gp_weight,
                "clip_value": clip_value,
            }
        )
        self.n_critic = n_critic
        self.constraint = constraint
        self.gp_weight = gp_weight
        self.clip_value = clip_value
        if constraint == "gradient_penalty" and any(
            isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.discriminator.modules()
        ):
            warnings.warn(
                "the WGAN-GP critic uses batch norm, which couples the samples the penalty "
                "treats independently; set model.net.discriminator.norm to none, layer or "
                "instance",
                stacklevel=2,
            )

    def networks_to_compile(self) -> tuple[str, ...]:
        """The penalty differentiates the critic's input gradient, which a compiled critic
        cannot (torch.compile has no double backward): WGAN-GP keeps its critic eager."""
        if self.constraint == "gradient_penalty":
            return ("generator",)
        return super().networks_to_compile()

    @property
    def real_batches_per_step(self) -> int:
        """Each critic update takes its own real batch: n_critic of them per training step."""
        return self.n_critic

    def discriminator_objective(
        self, real_logits: torch.Tensor, fake_logits: torch.Tensor
    ) -> Objective:
        wasserstein = critic_wasserstein_loss(real_logits, fake_logits)
        return Objective(wasserstein, {"c_wass": -wasserstein.detach()})

    def discriminator_accuracy(
        self, real_logits: torch.Tensor, fake_logits: torch.Tensor
    ) -> Metrics:
        """A critic's scores have no threshold: `c_acc_*` count the scores on the right side
        of the other set's mean (`ganlab.diagnosis.signals.separation_accuracy`)."""
        real, fake = separation_accuracy(real_logits, fake_logits)
        return {"c_acc_real": real, "c_acc_fake": fake}

    def penalty(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
    ) -> Objective | None:
        if self.constraint != "gradient_penalty":
            return None
        penalty, norms = gradient_penalty(self.discriminator, real, fake, labels)
        return Objective(
            self.gp_weight * penalty,
            {"c_gp": penalty.detach(), "c_grad_norm": norms.detach().mean()},
        )

    def after_discriminator_update(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None, last: bool
    ) -> Metrics:
        if self.constraint != "weight_clipping":
            return {}
        clip_weights(self.discriminator, self.clip_value)
        if not last:
            return {}
        # the clipped critic's gradient norm, for comparison with WGAN-GP
        norms = critic_gradient_norms(
            self.discriminator, random_interpolates(real, fake), labels, create_graph=False
        )
        return {"c_grad_norm": norms.mean()}

    def generator_objective(self, fake_logits: torch.Tensor) -> Objective:
        return Objective(generator_wasserstein_loss(fake_logits))
