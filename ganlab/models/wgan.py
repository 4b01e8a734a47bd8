"""WGAN procedure: a critic (no sigmoid) estimates the Wasserstein distance, kept Lipschitz by a
gradient penalty (WGAN-GP, Gulrajani et al. 2017, default) or by weight clipping (the original
WGAN, Arjovsky et al. 2017).

One training step is Algorithm 1 of Gulrajani et al.: the loader delivers `n_critic` real
batches at once (`real_batches_per_step`), each feeds one critic update with fresh noise, then
the generator takes one step. The critic is stepped uncounted, so `trainer.global_step` counts
generator updates and `max_steps`, logging and checkpoint intervals mean generator updates.
"""

import warnings

import torch
from lightning.pytorch.core.optimizer import LightningOptimizer
from torch import nn

from ganlab.errors import UsageError
from ganlab.losses import (
    clip_weights,
    critic_gradient_norms,
    critic_wasserstein_loss,
    generator_wasserstein_loss,
    gradient_penalty,
    random_interpolates,
)
from ganlab.models.base import GAN

CONSTRAINTS = ("gradient_penalty", "weight_clipping")


def check_wgan_options(n_critic: int, constraint: str, gp_weight: float, clip_value: float):
    if constraint not in CONSTRAINTS:
        raise UsageError(f"model.constraint must be one of {list(CONSTRAINTS)}, got {constraint!r}")
    if not (isinstance(n_critic, int) and n_critic >= 1):
        raise UsageError(f"model.n_critic must be an integer >= 1, got {n_critic}")
    if not gp_weight >= 0:
        raise UsageError(f"model.gp_weight (the penalty weight λ) must be >= 0, got {gp_weight}")
    if not clip_value > 0:
        raise UsageError(f"model.clip_value must be > 0, got {clip_value}")


class WGAN(GAN):
    def __init__(
        self,
        *args,
        n_critic: int = 5,
        constraint: str = "gradient_penalty",
        gp_weight: float = 10.0,
        clip_value: float = 0.01,
        **kwargs,
    ):
        check_wgan_options(n_critic, constraint, gp_weight, clip_value)
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

    def critic_step(
        self, opt_d: LightningOptimizer, real: torch.Tensor, labels: torch.Tensor | None, last: bool
    ) -> dict[str, torch.Tensor]:
        """One critic update on one real batch and a fresh fake batch; returns detached stats."""
        with torch.no_grad():
            fake = self.generator(self.noise(real.shape[0], real), labels)
        real_scores = self.discriminator(real, labels)
        fake_scores = self.discriminator(fake, labels)
        wasserstein = critic_wasserstein_loss(real_scores, fake_scores)
        stats = {"c_wass": -wasserstein.detach()}
        if self.constraint == "gradient_penalty":
            penalty, norms = gradient_penalty(self.discriminator, real, fake, labels)
            loss = wasserstein + self.gp_weight * penalty
            stats |= {"c_gp": penalty.detach(), "c_grad_norm": norms.detach().mean()}
        else:
            loss = wasserstein
        self.update_uncounted(opt_d, loss)
        if self.constraint == "weight_clipping":
            clip_weights(self.discriminator, self.clip_value)
            if last:  # the clipped critic's gradient norm, for comparison with WGAN-GP
                interpolates = random_interpolates(real, fake)
                norms = critic_gradient_norms(
                    self.discriminator, interpolates, labels, create_graph=False
                )
                stats["c_grad_norm"] = norms.mean()
        stats["c_loss"] = loss.detach()
        return stats

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        images, labels = batch
        if images.shape[0] < self.n_critic:
            raise UsageError(
                f"a training batch of {images.shape[0]} images cannot feed n_critic="
                f"{self.n_critic} critic updates"
            )
        real_batches = images.tensor_split(self.n_critic)
        label_batches = labels.tensor_split(self.n_critic)
        opt_g, opt_d = self.optimizers()

        history: dict[str, list[torch.Tensor]] = {}
        with self.toggled_optimizer(opt_d):
            for i, (real, real_labels) in enumerate(zip(real_batches, label_batches, strict=True)):
                stats = self.critic_step(
                    opt_d, real, self.condition(real_labels), last=i == self.n_critic - 1
                )
                for name, value in stats.items():
                    history.setdefault(name, []).append(value)

        generator_labels = self.condition(label_batches[-1])
        with self.toggled_optimizer(opt_g):
            fake = self.generator(
                self.noise(real_batches[-1].shape[0], real_batches[-1]), generator_labels
            )
            g_loss = generator_wasserstein_loss(self.discriminator(fake, generator_labels))
            self.update(opt_g, g_loss)

        critic_means = {name: torch.stack(values).mean() for name, values in history.items()}
        self.log_dict(
            {"c_wass": critic_means.pop("c_wass"), "g_loss": g_loss.detach()},
            on_step=True,
            on_epoch=True,
            prog_bar=self.losses_in_progress_bar,
        )
        self.log_dict(critic_means, on_step=True, on_epoch=True)
