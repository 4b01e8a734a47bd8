"""WGAN procedure: a critic (no sigmoid) estimates the Wasserstein distance, kept Lipschitz by a
gradient penalty (WGAN-GP, Gulrajani et al. 2017, default) or by weight clipping (the original
WGAN, Arjovsky et al. 2017).

One training step is Algorithm 1 of Gulrajani et al.: the loader delivers `n_critic` real
batches at once (`real_batches_per_step`), each feeds one critic update with fresh noise, then
the generator takes one step with fresh noise (`generator_reuses_fakes = False`); the base
schedule counts only the generator's step in `trainer.global_step`. Its defaults are a point of
`ganlab.models.recipe`: any `loss` and `penalty` train on this schedule.
"""

import torch

from ganlab.models.recipe import RecipeGAN
from ganlab.models.schedule import Metrics
from ganlab.run.values import Rule, at_least

CONSTRAINTS = ("gradient_penalty", "weight_clipping")
"""What the old key `constraint` (now `penalty`) took."""


class WGAN(RecipeGAN):
    generator_reuses_fakes = False
    discriminator_loss_name = "c_loss"
    progress_bar_metrics = ("c_wass", "g_loss")
    metric_prefix = "c"
    renamed_keys = {"constraint": "penalty", "gp_weight": "penalty_weight"}
    rules = (
        *RecipeGAN.rules,
        Rule(
            "constraint",
            "choice",
            f"one of {list(CONSTRAINTS)}",
            lambda value: value in CONSTRAINTS,
            nullable=True,
            label="the old name of model.penalty",
        ),
        Rule(
            "gp_weight",
            "number",
            ">= 0",
            at_least(0),
            nullable=True,
            label="the old name of model.penalty_weight",
        ),
    )

    def __init__(
        self,
        *args,
        loss: str = "wasserstein",
        n_critic: int = 5,
        penalty: str = "gradient_penalty",
        penalty_weight: float = 10.0,
        penalty_every: int = 1,
        clip_value: float = 0.01,
        constraint: str | None = None,
        gp_weight: float | None = None,
        **kwargs,
    ):
        """`constraint` and `gp_weight` are the old names of `penalty` and `penalty_weight`,
        which checkpoints written before hold; given, they win."""
        self.check_values({"constraint": constraint, "gp_weight": gp_weight})
        super().__init__(
            *args,
            loss=loss,
            n_critic=n_critic,
            penalty=penalty if constraint is None else constraint,
            penalty_weight=penalty_weight if gp_weight is None else gp_weight,
            penalty_every=penalty_every,
            clip_value=clip_value,
            **kwargs,
        )

    def score_metrics(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> Metrics:
        """`c_wass`: mean D(x) - mean D(G(z)), the critic's Wasserstein estimate."""
        return {"c_wass": real_logits.mean() - fake_logits.mean()}
