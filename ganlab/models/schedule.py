"""The training step every procedure shares, and the counting rules none may break.

A procedure says what its losses are (`discriminator_objective`, `generator_objective`, an
optional `penalty`) and how many real batches one step takes (`real_batches_per_step`);
`Schedule.training_step` uses them: it cuts the loader's batch into one real batch per
discriminator update, hands the networks the labels of a conditional run (`condition`),
toggles which network gets gradients, and steps the optimizers. The discriminator/critic
is stepped on the raw torch optimizer and the generator through Lightning's, so
`trainer.global_step` counts generator updates only, and `trainer.max_steps`,
`log_every_n_steps` and step-based checkpoints all mean generator updates. A procedure never
sees an optimizer, so it cannot miscount; one that defines `training_step` is refused.
"""

from dataclasses import dataclass, field
from typing import Any

import torch
from lightning.pytorch import LightningModule
from lightning.pytorch.core.optimizer import LightningOptimizer

from ganlab.diagnosis.signals import decision_accuracy, gradient_norm
from ganlab.errors import UsageError

UPDATES = ("alternating", "simultaneous")
"""`update_mode`s: D then G against the updated D, or both from one forward pass."""
GENERATOR_NOISE = ("reused", "fresh")
"""`model.generator_noise`: the alternating generator step back-propagates through the last
discriminator update's fakes, or draws fresh noise (sets `generator_reuses_fakes`)."""
Metrics = dict[str, torch.Tensor]


@dataclass(frozen=True)
class Objective:
    """A loss one network's update minimises, and the detached scalars logged beside it."""

    loss: torch.Tensor
    metrics: Metrics = field(default_factory=dict)


def mean_of(values: list[torch.Tensor]) -> torch.Tensor:
    """A metric's mean over the discriminator updates of one step (one update: itself)."""
    return values[0] if len(values) == 1 else torch.stack(values).mean()


class Schedule(LightningModule):
    """The update schedule of a GAN procedure; `ganlab.models.base.GAN` builds on it.

    Settings a procedure may change: `update_mode` (see `UPDATES`), `generator_reuses_fakes`
    (alternating: the generator update back-propagates through the fakes the last
    discriminator update saw, as pytorch/examples' DCGAN; False: it draws fresh ones, as
    Gulrajani et al.'s Algorithm 1), `real_batches_per_step`, and the logged names.
    Attributes it relies on (set by `GAN`): `generator`, `discriminator`, `latent_dim`,
    `conditional`, `augmentation`.
    """

    update_mode = "alternating"
    generator_reuses_fakes = True
    discriminator_loss_name = "d_loss"
    """The logged name of the discriminator's whole loss (penalty included)."""
    progress_bar_metrics: tuple[str, ...] = ("d_loss", "g_loss")
    diagnostics = True
    """Log the health signals (`discriminator_accuracy`, `gradient_norms`); see
    docs/diagnosis.md. `GAN` sets it from `model.diagnostics`."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "training_step" in vars(cls):
            raise TypeError(
                f"{cls.__name__} defines training_step: a ganlab procedure writes "
                f"discriminator_objective/generator_objective (and optionally penalty, "
                f"after_discriminator_update, real_batches_per_step); ganlab.models.base.GAN "
                f"owns the schedule so that global_step counts generator updates"
            )

    @property
    def real_batches_per_step(self) -> int:
        """How many real batches one training step consumes: one per discriminator update
        (a WGAN critic: n_critic). The loader delivers them as one batch of that multiple."""
        return 1

    # --- what a procedure writes -----------------------------------------------------------

    def discriminator_objective(
        self, real_logits: torch.Tensor, fake_logits: torch.Tensor
    ) -> Objective:
        """The discriminator's loss on its outputs for real and (detached) fake images."""
        raise NotImplementedError(f"{type(self).__name__} must define discriminator_objective")

    def generator_objective(self, fake_logits: torch.Tensor) -> Objective:
        """The generator's loss on the discriminator's outputs for its images."""
        raise NotImplementedError(f"{type(self).__name__} must define generator_objective")

    def penalty(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
    ) -> Objective | None:
        """A term added to the discriminator's loss that needs the images themselves (a
        gradient penalty), already weighted; None: no penalty."""
        return None

    def after_discriminator_update(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None, last: bool
    ) -> Metrics:
        """Runs after each discriminator step (weight clipping); returns metrics to log.
        `last`: the step's final discriminator update."""
        return {}

    def discriminator_accuracy(
        self, real_logits: torch.Tensor, fake_logits: torch.Tensor
    ) -> Metrics:
        """The discriminator's accuracy on real and on fake images (a logit above 0 says
        real); a critic without a decision threshold overrides it."""
        real, fake = decision_accuracy(real_logits, fake_logits)
        return {"d_acc_real": real, "d_acc_fake": fake}

    # --- the schedule ----------------------------------------------------------------------

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        """One generator update and the discriminator updates before it."""
        opt_g, opt_d = self.optimizers()
        reals = self.real_batches(*batch)
        if self.update_mode == "simultaneous":
            metrics = self.simultaneous_update(opt_g, opt_d, *reals[0])
        else:
            metrics = self.alternating_updates(opt_g, opt_d, reals)
        self.log_metrics(metrics)

    def real_batches(
        self, images: torch.Tensor, labels: torch.Tensor
    ) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        """The loader's batch cut into one (images, labels the networks see) per update."""
        count = self.real_batches_per_step
        if self.update_mode == "simultaneous" and count != 1:
            raise ValueError("a simultaneous update takes one real batch per step")
        if images.shape[0] < count:
            raise UsageError(
                f"a training batch of {images.shape[0]} images cannot feed {count} "
                f"discriminator updates (real_batches_per_step={count})"
            )
        return [
            (real, self.condition(real_labels))
            for real, real_labels in zip(
                images.tensor_split(count), labels.tensor_split(count), strict=True
            )
        ]

    def alternating_updates(
        self,
        opt_g: LightningOptimizer,
        opt_d: LightningOptimizer,
        reals: list[tuple[torch.Tensor, torch.Tensor | None]],
    ) -> Metrics:
        history: dict[str, list[torch.Tensor]] = {}
        reused = None
        for index, (real, labels) in enumerate(reals):
            last = index == len(reals) - 1
            if last and self.generator_reuses_fakes:
                reused = self.generator(self.noise(real.shape[0], real), labels)
                fake = reused.detach()
            else:
                with torch.no_grad():
                    fake = self.generator(self.noise(real.shape[0], real), labels)
            with self.toggled_optimizer(opt_d):
                metrics = self.discriminator_update(opt_d, real, fake, labels, last)
            for name, value in metrics.items():
                history.setdefault(name, []).append(value)
        real, labels = reals[-1]
        with self.toggled_optimizer(opt_g):
            fake = (
                reused
                if reused is not None
                else self.generator(self.noise(real.shape[0], real), labels)
            )
            generator = self.generator_objective(self.discriminate(fake, labels))
            opt_g.zero_grad(set_to_none=True)
            self.manual_backward(generator.loss)
            norms = self.gradient_norms("g")
            self.step_generator(opt_g)
        means = {name: mean_of(values) for name, values in history.items()}
        return means | generator.metrics | norms | {"g_loss": generator.loss.detach()}

    def discriminator_update(
        self,
        opt_d: LightningOptimizer,
        real: torch.Tensor,
        fake: torch.Tensor,
        labels: torch.Tensor | None,
        last: bool,
    ) -> Metrics:
        real_logits = self.discriminate(real, labels)
        fake_logits = self.discriminate(fake, labels)
        objective = self.discriminator_objective(real_logits, fake_logits)
        loss, metrics = self.with_penalty(objective, real, fake, labels)
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        metrics |= self.health_signals(real_logits, fake_logits) | self.gradient_norms("d")
        self.step_discriminator(opt_d)
        return metrics | self.after_discriminator_update(real, fake, labels, last)

    def with_penalty(
        self,
        objective: Objective,
        real: torch.Tensor,
        fake: torch.Tensor,
        labels: torch.Tensor | None,
    ) -> tuple[torch.Tensor, Metrics]:
        """The discriminator's whole loss (penalty included) and its metrics."""
        loss, metrics = objective.loss, dict(objective.metrics)
        penalty = self.penalty(real, fake, labels)
        if penalty is not None:
            loss = loss + penalty.loss
            metrics |= penalty.metrics
        return loss, metrics | {self.discriminator_loss_name: loss.detach()}

    def simultaneous_update(
        self,
        opt_g: LightningOptimizer,
        opt_d: LightningOptimizer,
        real: torch.Tensor,
        labels: torch.Tensor | None,
    ) -> Metrics:
        """Both losses from one forward pass (the TensorFlow tutorial's two gradient tapes).
        The discriminator sees the fakes as a leaf, so each backward reaches one network only
        (what DDP's reducer expects): the generator's gradient is the discriminator's input
        gradient carried back through the generator."""
        fake = self.generator(self.noise(real.shape[0], real), labels)
        fake_input = fake.detach().requires_grad_(True)
        real_logits = self.discriminate(real, labels)
        fake_logits = self.discriminate(fake_input, labels)
        objective = self.discriminator_objective(real_logits, fake_logits)
        generator = self.generator_objective(fake_logits)
        d_loss, metrics = self.with_penalty(objective, real, fake_input.detach(), labels)
        (fake_grad,) = torch.autograd.grad(generator.loss, fake_input, retain_graph=True)
        opt_g.zero_grad(set_to_none=True)
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(fake, fake_grad)
        self.manual_backward(d_loss, inputs=list(self.discriminator.parameters()))
        metrics |= self.health_signals(real_logits, fake_logits) | self.gradient_norms("d", "g")
        self.step_discriminator(opt_d)
        metrics |= self.after_discriminator_update(real, fake_input.detach(), labels, True)
        self.step_generator(opt_g)
        return metrics | generator.metrics | {"g_loss": generator.loss.detach()}

    def health_signals(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> Metrics:
        if not self.diagnostics:
            return {}
        return self.discriminator_accuracy(real_logits, fake_logits)

    def gradient_norms(self, *networks: str) -> Metrics:
        """`grad_norm_g` / `grad_norm_d`: the total norm of the generator's ('g') or the
        discriminator's ('d') gradients, taken just before its optimizer steps."""
        if not self.diagnostics:
            return {}
        modules = {"g": self.generator, "d": self.discriminator}
        return {f"grad_norm_{name}": gradient_norm(modules[name].parameters()) for name in networks}

    def discriminate(self, images: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """The discriminator's outputs on images as its adversarial losses see them: through
        the run's augmentation (`model.augment`, DiffAugment) when there is one, the same
        policy for real and generated images, in the discriminator's and the generator's
        updates. A penalty (`penalty`, e.g. the gradient penalty) calls the discriminator
        itself, on un-augmented images: it constrains the discriminator's gradient on the
        data and between data and fakes, which is what the penalty's weight was tuned for."""
        if self.augmentation is not None:
            images = self.augmentation(images)
        return self.discriminator(images, labels)

    @staticmethod
    def step_discriminator(optimizer: LightningOptimizer) -> None:
        """Stepped on the wrapped torch optimizer: Lightning does not count it."""
        optimizer.optimizer.step()

    @staticmethod
    def step_generator(optimizer: LightningOptimizer) -> None:
        """Stepped through Lightning: one generator update, one `global_step`."""
        optimizer.step()

    @property
    def losses_in_progress_bar(self) -> bool:
        """Progress-bar metrics are turned into Python numbers after every batch, a
        device→host sync on an accelerator: there the losses go to the logger only."""
        return self.device.type == "cpu"

    def log_metrics(self, metrics: Metrics) -> None:
        shown = {k: v for k, v in metrics.items() if k in self.progress_bar_metrics}
        others = {k: v for k, v in metrics.items() if k not in self.progress_bar_metrics}
        self.log_dict(shown, on_step=True, on_epoch=True, prog_bar=self.losses_in_progress_bar)
        self.log_dict(others, on_step=True, on_epoch=True)

    def noise(self, count: int, like: torch.Tensor) -> torch.Tensor:
        return torch.randn(count, self.latent_dim, device=like.device, dtype=like.dtype)

    def condition(self, labels: torch.Tensor) -> torch.Tensor | None:
        """The labels the networks see: the batch's labels in a conditional run, else None."""
        return labels if self.conditional else None
