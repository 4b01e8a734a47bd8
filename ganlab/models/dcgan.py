"""DCGAN procedure: binary cross-entropy, non-saturating generator loss, label tricks.

`update='alternating'` (Goodfellow's algorithm, pytorch/examples): the discriminator steps,
then the generator steps against the updated discriminator. `update='simultaneous'` (the
TensorFlow tutorial's two gradient tapes): both gradients come from one forward pass.
"""

import torch

from ganlab.errors import UsageError
from ganlab.losses import (
    discriminator_bce_loss,
    discriminator_targets,
    generator_nonsaturating_loss,
)
from ganlab.models.base import GAN

UPDATES = ("alternating", "simultaneous")


class DCGAN(GAN):
    def __init__(
        self,
        *args,
        update: str = "alternating",
        label_smoothing: float = 0.0,
        label_noise: float = 0.0,
        label_flip: float = 0.0,
        **kwargs,
    ):
        if update not in UPDATES:
            raise UsageError(f"model.update must be one of {list(UPDATES)}, got {update!r}")
        for name, value in (
            ("label_smoothing", label_smoothing),
            ("label_noise", label_noise),
            ("label_flip", label_flip),
        ):
            if not 0 <= value < 1:
                raise UsageError(f"model.{name} must be in [0, 1), got {value}")
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

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        real, labels = batch
        labels = self.condition(labels)
        opt_g, opt_d = self.optimizers()
        fake = self.generator(self.noise(real.shape[0], real), labels)

        if self.update_mode == "simultaneous":
            # The discriminator sees the fakes as a leaf, so each backward reaches one
            # network only (what DDP's reducer expects): the generator's gradient is the
            # discriminator's input gradient carried back through the generator.
            fake_input = fake.detach().requires_grad_(True)
            real_logits = self.discriminator(real, labels)
            fake_logits = self.discriminator(fake_input, labels)
            d_loss = self.discriminator_loss(real_logits, fake_logits)
            g_loss = generator_nonsaturating_loss(fake_logits)
            (fake_grad,) = torch.autograd.grad(g_loss, fake_input, retain_graph=True)
            opt_g.zero_grad(set_to_none=True)
            opt_d.zero_grad(set_to_none=True)
            self.manual_backward(fake, fake_grad)
            self.manual_backward(d_loss, inputs=list(self.discriminator.parameters()))
            opt_d.optimizer.step()
            opt_g.step()
        else:
            with self.toggled_optimizer(opt_d):
                real_logits = self.discriminator(real, labels)
                fake_logits = self.discriminator(fake.detach(), labels)
                d_loss = self.discriminator_loss(real_logits, fake_logits)
                self.update_uncounted(opt_d, d_loss)
            with self.toggled_optimizer(opt_g):
                g_loss = generator_nonsaturating_loss(self.discriminator(fake, labels))
                self.update(opt_g, g_loss)

        self.log_dict(
            {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()},
            on_step=True,
            on_epoch=True,
            prog_bar=self.losses_in_progress_bar,
        )
        self.log_dict(
            {
                "d_real": torch.sigmoid(real_logits.detach()).mean(),
                "d_fake": torch.sigmoid(fake_logits.detach()).mean(),
            },
            on_step=True,
            on_epoch=True,
        )
