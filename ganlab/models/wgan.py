"""WGAN-GP (Gulrajani et al. 2017, Algorithm 1) and, with `penalty='weight_clipping'`, the
original WGAN (Arjovsky et al. 2017): a critic scored by the Wasserstein loss, `n_critic`
critic updates per generator update, each on its own real batch and fresh noise, and a
generator update on fresh noise."""

from typing import Any

from ganlab.models.gan import GAN


class WGAN(GAN):
    def __init__(
        self,
        *,
        loss: str = "wasserstein",
        n_critic: int = 5,
        penalty: str = "gradient_penalty",
        generator_noise: str | None = "fresh",
        constraint: str | None = None,
        gp_weight: float | None = None,
        **options: Any,
    ):
        """`constraint` and `gp_weight`: what checkpoints written before the options were
        shared call `penalty` and `penalty_weight`."""
        if gp_weight is not None:
            options["penalty_weight"] = gp_weight
        options |= {"loss": loss, "n_critic": n_critic, "penalty": constraint or penalty}
        super().__init__(generator_noise=generator_noise or "fresh", **options)
