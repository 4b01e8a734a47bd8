"""DCGAN procedure: binary cross-entropy, non-saturating generator loss, label tricks.

`update='alternating'` (Goodfellow's algorithm, pytorch/examples): the discriminator steps,
then the generator steps against the updated discriminator. `update='simultaneous'` (the
TensorFlow tutorial's two gradient tapes): both gradients come from one forward pass.
"""

import torch

from ganlab.losses import (
    discriminator_bce_loss,
    discriminator_targets,
    generator_nonsaturating_loss,
)
from ganlab.models.base import GAN
from ganlab.models.schedule import UPDATES, Objective
from ganlab.run.values import Rule, choice, in_unit_interval


class DCGAN(GAN):
    """The discriminator's objective logs its mean outputs on real and fake images
    (`d_real`, `d_fake`: 0.5 and 0.5 when it cannot tell them apart)."""

    rules = (
        *GAN.rules,
        choice("update", UPDATES),
        *(
            Rule(name, "number", "in [0, 1)", in_unit_interval)
            for name in ("label_smoothing", "label_noise", "label_flip")
        ),
    )

    def __init__(
        self,
        *args,
        update: str = "alternating",
        label_smoothing: float = 0.0,
        label_noise: float = 0.0,
        label_flip: float = 0.0,
        **kwargs,
    ):
        self.check_values(
            {
                "update": update,
                "label_smoothing": label_smoothing,
                "label_noise": label_noise,
                "label_flip": label_flip,
            }
        )
        super().__init__(*args, **kwargs)
        self.save_hyperparameters(
            {
                "update": update,
                "label_smoothing": label_smoothing,
                "label_noise": label_noise,
                "label_flip": label_flip,
            }
        )
        self.update_mode = update

    def discriminator_loss(
        self, real_logits: torch.Tensor, fake_logits: torch.Tensor
    ) -> torch.Tensor:
        tricks = {
            "smoothing": self.hparams.label_smoothing,
            "noise": self.hparams.label_noise,
            "flip": self.hparams.label_flip,
        }
        real_target = discriminator_targets(real_logits, real=True, **tricks)
        tricks["smoothing"] = 0.0
        fake_target = discriminator_targets(fake_logits, real=False, **tricks)
        return discriminator_bce_loss(real_logits, fake_logits, real_target, fake_target)

    def discriminator_objective(
        self, real_logits: torch.Tensor, fake_logits: torch.Tensor
    ) -> Objective:
        return Objective(
            self.discriminator_loss(real_logits, fake_logits),
            {
                "d_real": torch.sigmoid(real_logits.detach()).mean(),
                "d_fake": torch.sigmoid(fake_logits.detach()).mean(),
            },
        )

    def generator_objective(self, fake_logits: torch.Tensor) -> Objective:
        return Objective(generator_nonsaturating_loss(fake_logits))
