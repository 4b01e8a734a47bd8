"""The GAN training procedure: one LightningModule, one training step read top to bottom.

A variant is a point along independent options, not a class: the adversarial loss
(`ganlab.losses.LOSSES`), `n_critic` discriminator updates per generator update (each on its
own real batch), a penalty (`gradient_penalty`, `r1`, or `weight_clipping`), label tricks,
`update='simultaneous'` (both gradients from one forward pass), an EMA of the generator, and
DiffAugment on what the discriminator sees. `DCGAN` and `WGAN` are presets of its defaults.

Counting: the discriminator steps on the raw torch optimizer and the generator through
Lightning's, so `trainer.global_step` counts generator updates and `max_steps`,
`log_every_n_steps` and step checkpoints mean generator updates. A subclass may replace the
loss (`self.objective`) but not `training_step`.
"""

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch import LightningModule
from lightning.pytorch.core.optimizer import LightningOptimizer
from omegaconf import OmegaConf
from torch import nn

from ganlab import __version__
from ganlab.diagnosis.signals import decision_accuracy, gradient_norm, separation_accuracy
from ganlab.errors import UsageError
from ganlab.losses import (
    GRADIENT_PENALTIES,
    LOSSES,
    AdversarialLoss,
    auxiliary_classifier_loss,
    clip_weights,
    critic_gradient_norms,
    discriminator_targets,
    random_interpolates,
)
from ganlab.models import ema as averaging
from ganlab.models.optimizers import build_optimizers, class_options, stored
from ganlab.nets.augment import (
    ADA_INTERVAL,
    POLICIES,
    AdaptiveProbability,
    augmentation_of,
    is_policy,
    is_probability,
)
from ganlab.nets.build import build_pair
from ganlab.run.checkpoint import module_from_checkpoint, read_checkpoint
from ganlab.run.values import Declared, Rule, at_least, choice, in_unit_interval, positive
from ganlab.sampling.latents import GRID_COLUMNS, grid_inputs

PENALTIES = ("none", *GRADIENT_PENALTIES, "weight_clipping")
LAZY_PENALTIES = ("r1", "r2", "r1_r2")
"""The penalties `penalty_every > 1` may apply lazily (StyleGAN2's R1)."""
UPDATES = ("alternating", "simultaneous")
GENERATOR_NOISE = ("reused", "fresh")
LABEL_TRICKS = ("label_smoothing", "label_noise", "label_flip")
Metrics = dict[str, torch.Tensor]


def mean_over(updates: list[Metrics]) -> Metrics:
    """Each metric's mean over a step's discriminator updates (one update: itself)."""
    if len(updates) == 1:
        return updates[0]
    names = dict.fromkeys(name for update in updates for name in update)  # clipping: + last
    values = {name: [update[name] for update in updates if name in update] for name in names}
    return {name: v[0] if len(v) == 1 else torch.stack(v).mean() for name, v in values.items()}


def plain(value: Any) -> Any:
    """OmegaConf containers → plain Python, so hyper-parameters load with weights_only."""
    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value


class GAN(LightningModule, Declared):
    """Any GAN on any network pair; the constructor's arguments are its hyper-parameters."""

    config_prefix = "model."
    rules = (
        Rule("latent_dim", "integer", ">= 1", at_least(1)),
        Rule("sample_count", "integer", ">= 1", at_least(1)),
        Rule("optim.lr", "number", "> 0", positive),
        Rule("optim.lr_g", "number", "> 0", positive, nullable=True),
        Rule("optim.lr_d", "number", "> 0", positive, nullable=True),
        Rule("optim.beta1", "number", "in [0, 1)", in_unit_interval),
        Rule("optim.beta2", "number", "in [0, 1)", in_unit_interval),
        *averaging.RULES,
        choice("loss", tuple(LOSSES)),
        Rule("n_critic", "integer", ">= 1", at_least(1), always_name_type=True),
        Rule("n_generator", "integer", ">= 1", at_least(1), always_name_type=True),
        choice("penalty", PENALTIES),
        Rule("penalty_weight", "number", ">= 0", at_least(0), label="the penalty weight"),
        Rule("penalty_every", "integer", ">= 1", at_least(1)),
        Rule("clip_value", "number", "> 0", positive),
        Rule("auxiliary_classifier_weight", "number", ">= 0", at_least(0)),
        choice("update", UPDATES),
        choice("generator_noise", GENERATOR_NOISE, nullable=True),
        *(Rule(name, "number", "in [0, 1)", in_unit_interval) for name in LABEL_TRICKS),
        Rule(
            "augment",
            "choice",
            f"a comma-separated string or a list of policies from {list(POLICIES)}",
            is_policy,
            nullable=True,
        ),
        Rule("augment_p", "choice", "'adaptive' or a number in [0, 1]", is_probability),
    )

    @classmethod
    def check_values(cls, values: Mapping[str, Any], prefix: str | None = None) -> None:
        """The rules, then the combinations no run can use."""
        super().check_values(values, prefix)
        p = cls.config_prefix if prefix is None else prefix
        if isinstance(values.get("optim"), Mapping):
            class_options(values["optim"])
        every, penalty = values.get("penalty_every", 1), values.get("penalty", "none")
        if every != 1 and penalty not in LAZY_PENALTIES:
            raise UsageError(
                f"{p}penalty_every={every} (lazy regularisation) applies to "
                f"{p}penalty={' or '.join(LAZY_PENALTIES)}, not {p}penalty={penalty}: "
                f"set {p}penalty_every=1"
            )
        loss = values.get("loss", "ns")
        targets = [name for name, loss_ in LOSSES.items() if loss_.label_targets]
        for trick in LABEL_TRICKS:
            value = values.get(trick, 0.0)
            if value and loss in LOSSES and not LOSSES[loss].label_targets:
                raise UsageError(
                    f"{p}{trick}={value} changes the targets of a cross-entropy loss "
                    f"({', '.join(targets)}), not {p}loss={loss}: set {p}{trick}=0 or "
                    f"choose {p}loss=ns"
                )
        if values.get("augment_p", 1.0) != 1.0 and not values.get("augment"):
            raise UsageError(
                f"{p}augment_p={values['augment_p']} sets how often the DiffAugment policies "
                f"apply, but {p}augment names none: set e.g. {p}augment=[translation,cutout]"
            )
        if (weight := values.get("auxiliary_classifier_weight")) and not values.get("conditional"):
            raise UsageError(
                f"{p}auxiliary_classifier_weight={weight} trains D to name the class of an "
                f"unconditional run: set {p}conditional=true or {p}auxiliary_classifier_weight=0"
            )
        for key in ("n_critic", "n_generator"):
            count = values.get(key, 1)
            if values.get("update") == "simultaneous" and count != 1:
                raise UsageError(
                    f"{p}update=simultaneous takes one update of each network per step, not "
                    f"{p}{key}={count}: set {p}{key}=1 or {p}update=alternating"
                )

    def __init__(
        self,
        net: dict,
        optim: dict,
        latent_dim: int = 100,
        image_shape: tuple[int, int, int] = (1, 28, 28),
        num_classes: int = 0,
        class_names: list[str] | None = None,
        conditional: bool = False,
        sample_count: int = 64,
        loss: str = "ns",
        n_critic: int = 1,
        n_generator: int = 1,
        penalty: str = "none",
        penalty_weight: float = 10.0,
        penalty_every: int = 1,
        clip_value: float = 0.01,
        auxiliary_classifier_weight: float = 0.0,
        update: str = "alternating",
        generator_noise: str | None = "reused",
        label_smoothing: float = 0.0,
        label_noise: float = 0.0,
        label_flip: float = 0.0,
        ema: dict | None = None,
        augment: str | list[str] | None = None,
        augment_p: float | str = 1.0,
        compile: bool | dict = False,
        channels_last: bool | None = None,
        diagnostics: bool = True,
    ):
        options = {k: plain(v) for k, v in locals().items() if k not in ("self", "__class__")}
        self.check_values(options)
        super().__init__()
        if conditional and num_classes < 1:
            raise UsageError(
                "model.conditional=true but the data module yields no labels (0 classes): "
                "choose labelled data (data=mnist, data=celeba data.condition_on=Blond_Hair, "
                "data=folder data.labels=true) or an unconditional model (model.conditional=false)"
            )
        options["image_shape"] = tuple(options["image_shape"])
        options["class_names"] = list(options["class_names"] or [])
        options["optim"] = stored(options["optim"])
        if not (options["ema"] or {}).get("decay"):
            options["ema"] = None  # off, as checkpoints written before the option say
        self.save_hyperparameters(options)
        self.automatic_optimization = False
        self.objective: AdversarialLoss = LOSSES[loss]
        """The loss pair; a user's procedure may set its own (see docs/extending.md)."""
        self.latent_dim, self.conditional, self.num_classes = latent_dim, conditional, num_classes
        self.class_names = options["class_names"]
        self.n_critic = n_critic
        self.reuse_fakes = generator_noise != "fresh"
        self.augmentation = augmentation_of(options["augment"])
        self.ada = AdaptiveProbability() if augment_p == "adaptive" else None
        self.generator, self.discriminator = build_pair(
            options["net"],
            latent_dim,
            options["image_shape"],
            num_classes if conditional else 0,
            auxiliary_classifier=auxiliary_classifier_weight > 0,
        )
        if penalty in GRADIENT_PENALTIES and any(
            isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.discriminator.modules()
        ):
            warnings.warn(
                f"the {penalty} penalty is per sample, but the discriminator uses batch norm, "
                f"which couples the samples; set model.net.discriminator.norm to none, layer "
                f"or instance",
                stacklevel=2,
            )
        averaged = options["ema"]
        self.ema = (
            averaging.GeneratorEMA(self.generator, averaged["decay"], averaged.get("start", 0))
            if averaged
            else None
        )
        self.sample_with_ema = True
        """Whether `generate` draws from the averaged generator when there is one."""
        self.grid_columns = GRID_COLUMNS
        fixed_noise, fixed_labels = grid_inputs(
            latent_dim, sample_count, num_classes if conditional else 0
        )
        self.register_buffer("fixed_noise", fixed_noise)
        self.register_buffer("fixed_labels", fixed_labels)
        self.step_metrics: Metrics = {}
        """The last step's metrics, as tensors (see `log_step`)."""
        self.window: tuple[tuple[str, ...], torch.Tensor | None, int] = ((), None, 0)
        """Names, running sum and step count of the metrics not yet handed to `self.log`."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "training_step" in vars(cls):
            raise TypeError(
                f"{cls.__name__} defines training_step: a ganlab procedure sets its loss "
                f"(self.objective, an AdversarialLoss) and options; GAN owns the step so that "
                f"global_step counts generator updates"
            )

    @classmethod
    def load_from_checkpoint(  # type: ignore[override]
        cls,
        checkpoint_path: str | Path,
        map_location: Any = None,
        trusted_prefixes: Sequence[str] = (),
        **hparams_overrides: Any,
    ) -> "GAN":
        """Lightning's documented door, through ganlab's one reader: the file is data (weights
        only, named classes trusted, checksums, finite weights; `ganlab.run.checkpoint`)."""
        checkpoint = read_checkpoint(checkpoint_path, trusted_prefixes)
        checkpoint["hyper_parameters"] = {**checkpoint["hyper_parameters"], **hparams_overrides}
        module = module_from_checkpoint(checkpoint)
        if not isinstance(module, cls):
            raise UsageError(
                f"{checkpoint_path} holds a {type(module).__name__}, not a {cls.__name__}: load "
                f"it with {type(module).__name__}.load_from_checkpoint (or GAN's)"
            )
        return module.to(map_location) if map_location is not None else module

    @property
    def critic(self) -> bool:
        """A loss without a decision threshold scores (a critic): its names start with c_."""
        return self.objective.decision_threshold is None

    @property
    def real_batches_per_step(self) -> int:
        """One real batch per discriminator update: the loader delivers n_critic at once."""
        return self.n_critic

    # --- the training step ------------------------------------------------------------------

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        """`n_critic` discriminator updates, then one generator update."""
        opt_g, opt_d = self.optimizers()
        reals = self.real_batches(*batch)
        if self.hparams["update"] == "simultaneous":  # (hparams.update is dict.update)
            return self.log_step(self.simultaneous_step(opt_g, opt_d, *reals[0]))
        # 1. the discriminator: one update per real batch, each against fresh fakes
        updates = []
        for index, (real, labels) in enumerate(reals):
            last = index == len(reals) - 1
            with torch.set_grad_enabled(last and self.reuse_fakes):  # the G update reuses them
                fake = self.generator(self.noise(real), labels)
            with self.toggled_optimizer(opt_d):
                updates.append(self.discriminator_update(opt_d, real, fake, labels, last))
        # 2. the generator: n_generator updates (1 but for experiments) against the updated D
        for index in range(self.hparams.n_generator):
            with self.toggled_optimizer(opt_g):
                if index > 0 or not self.reuse_fakes:
                    fake = self.generator(self.noise(real), labels)
                fake_logits, fake_classes = self.discriminate(fake, labels)
                g_loss = self.generator_loss(fake_logits, real, labels, fake_classes=fake_classes)
                opt_g.zero_grad(set_to_none=True)
                self.manual_backward(g_loss)
                norms = self.gradient_norms("g")
                self.step_generator(opt_g)  # through Lightning: one global_step each
        self.log_step(mean_over(updates) | norms | {"g_loss": g_loss.detach()})

    def discriminator_update(
        self,
        opt_d: LightningOptimizer,
        real: torch.Tensor,
        fake: torch.Tensor,
        labels: torch.Tensor | None,
        last: bool,
    ) -> Metrics:
        """One discriminator step on a real batch and (detached) fakes."""
        real_logits, real_classes = self.discriminate(real, labels)
        fake_logits, fake_classes = self.discriminate(fake.detach(), labels)
        loss, metrics = self.discriminator_loss(
            real_logits, fake_logits, real, fake, labels, (real_classes, fake_classes)
        )
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        metrics |= self.health(real_logits, fake_logits) | self.gradient_norms("d")
        metrics |= self.adapt(real_logits)
        opt_d.optimizer.step()  # the raw optimizer: Lightning counts generator steps only
        return metrics | self.clip(real, fake.detach(), labels, last)

    def simultaneous_step(
        self,
        opt_g: LightningOptimizer,
        opt_d: LightningOptimizer,
        real: torch.Tensor,
        labels: torch.Tensor | None,
    ) -> Metrics:
        """Both losses from one forward pass (the TensorFlow tutorial's two gradient tapes).
        The discriminator sees the fakes as a leaf, so each backward reaches one network
        (what DDP expects): the generator's gradient is the leaf's, carried back through it."""
        fake = self.generator(self.noise(real), labels)
        leaf = fake.detach().requires_grad_(True)
        real_logits, real_classes = self.discriminate(real, labels)
        fake_logits, fake_classes = self.discriminate(leaf, labels)
        d_loss, metrics = self.discriminator_loss(
            real_logits, fake_logits, real, leaf, labels, (real_classes, fake_classes)
        )
        g_loss = self.generator_loss(fake_logits, real, labels, real_logits, fake_classes)
        (leaf_grad,) = torch.autograd.grad(g_loss, leaf, retain_graph=True)
        opt_g.zero_grad(set_to_none=True)
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(fake, leaf_grad)
        self.manual_backward(d_loss, inputs=list(self.discriminator.parameters()))
        metrics |= self.health(real_logits, fake_logits) | self.gradient_norms("d", "g")
        metrics |= self.adapt(real_logits)
        opt_d.optimizer.step()
        metrics |= self.clip(real, leaf.detach(), labels, True)
        self.step_generator(opt_g)
        return metrics | {"g_loss": g_loss.detach()}

    # --- the pieces of a step -----------------------------------------------------------

    def discriminator_loss(
        self,
        real_logits: torch.Tensor,
        fake_logits: torch.Tensor,
        real: torch.Tensor,
        fake: torch.Tensor,
        labels: torch.Tensor | None,
        classes: tuple[torch.Tensor | None, torch.Tensor | None] = (None, None),
    ) -> tuple[torch.Tensor, Metrics]:
        """The discriminator's whole loss (label tricks, penalty, the auxiliary classifier's
        cross-entropy on the real and fake `classes` logits) and what it logs."""
        hp, prefix = self.hparams, "c" if self.critic else "d"
        if self.objective.label_targets:
            tricks = {"noise": hp.label_noise, "flip": hp.label_flip}
            real_target = discriminator_targets(
                real_logits, True, smoothing=hp.label_smoothing, **tricks
            )
            fake_target = discriminator_targets(fake_logits, False, **tricks)
            loss = self.objective.discriminator(real_logits, fake_logits, real_target, fake_target)
        else:
            loss = self.objective.discriminator(real_logits, fake_logits)
        metrics = self.scores(real_logits.detach(), fake_logits.detach())
        if hp.penalty in GRADIENT_PENALTIES and self.global_step % hp.penalty_every == 0:
            function, short = GRADIENT_PENALTIES[hp.penalty]
            value, norms = function(self.discriminator, real, fake, labels)
            loss = loss + hp.penalty_weight * hp.penalty_every * value
            metrics[f"{prefix}_{short}"] = value.detach()
            metrics[f"{prefix}_grad_norm"] = norms.detach().mean()
        if classes[0] is not None:
            value, right = auxiliary_classifier_loss(labels, *classes)
            loss = loss + hp.auxiliary_classifier_weight * value
            names = [f"{prefix}_class_loss", f"{prefix}_class_acc_real", f"{prefix}_class_acc_fake"]
            metrics |= dict(zip(names, [value.detach(), *right], strict=True))
        return loss, metrics | {f"{prefix}_loss": loss.detach()}

    def generator_loss(
        self,
        fake_logits: torch.Tensor,
        real: torch.Tensor,
        labels: torch.Tensor | None,
        real_logits: torch.Tensor | None = None,
        fake_classes: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The generator's loss; a relativistic one also reads D on the real images; with the
        auxiliary classifier, plus its cross-entropy on the fakes' `fake_classes` logits."""
        if not self.objective.relativistic:
            loss = self.objective.generator(fake_logits)
        else:
            if real_logits is None:
                real_logits, _ = self.discriminate(real, labels)
            loss = self.objective.generator(fake_logits, real_logits)
        if fake_classes is None:
            return loss
        weight = self.hparams.auxiliary_classifier_weight
        return loss + weight * auxiliary_classifier_loss(labels, fake_classes)[0]

    def scores(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> Metrics:
        """`c_wass` (the critic's Wasserstein estimate), or the mean outputs `d_real`/`d_fake`
        (probabilities under a cross-entropy loss)."""
        if self.critic:
            return {"c_wass": real_logits.mean() - fake_logits.mean()}
        if self.objective.label_targets:
            real_logits, fake_logits = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
        return {"d_real": real_logits.mean(), "d_fake": fake_logits.mean()}

    def clip(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None, last: bool
    ) -> Metrics:
        """Weight clipping after a discriminator step; after the step's last one, the clipped
        critic's gradient norm (to compare with a gradient penalty's)."""
        if self.hparams.penalty != "weight_clipping":
            return {}
        clip_weights(self.discriminator, self.hparams.clip_value)
        if not last:
            return {}
        interpolates = random_interpolates(real, fake)
        norms = critic_gradient_norms(self.discriminator, interpolates, labels, False)
        return {f"{'c' if self.critic else 'd'}_grad_norm": norms.mean()}

    def health(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> Metrics:
        """`d_acc_*` on the loss's decision threshold; a critic has none, so `c_acc_*` count
        the scores on the right side of the other set's mean (docs/diagnosis.md)."""
        if not self.hparams.diagnostics:
            return {}
        if self.critic:
            real, fake = separation_accuracy(real_logits, fake_logits)
            return {"c_acc_real": real, "c_acc_fake": fake}
        threshold = self.objective.decision_threshold
        real, fake = decision_accuracy(real_logits, fake_logits, threshold)
        return {"d_acc_real": real, "d_acc_fake": fake}

    def adapt(self, real_logits: torch.Tensor) -> Metrics:
        """`augment_p=adaptive`: the probability watches D's signs on the reals (r_t)."""
        if self.ada is None:
            return {}
        self.ada.observe(real_logits)
        return {"augment_p": self.ada.p.clone()}

    def gradient_norms(self, *networks: str) -> Metrics:
        """`grad_norm_g`/`grad_norm_d`, just before the network's optimizer steps."""
        if not self.hparams.diagnostics:
            return {}
        modules = {"g": self.generator, "d": self.discriminator}
        return {f"grad_norm_{name}": gradient_norm(modules[name].parameters()) for name in networks}

    def discriminate(
        self, images: torch.Tensor, labels: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """D through the run's DiffAugment, for real and fake images alike: its logits, and its
        auxiliary classifier's class logits (None without one); a penalty calls the
        discriminator itself, on un-augmented images."""
        if self.augmentation is not None:
            p = self.hparams.augment_p
            images = self.augmentation(images, self.ada.p if self.ada else float(p))
        if self.hparams.auxiliary_classifier_weight:
            return self.discriminator(images, labels, classes=True)
        return self.discriminator(images, labels), None

    def step_generator(self, optimizer: LightningOptimizer) -> None:
        """One generator update (one `global_step`), then the averaged copy follows it, and
        an adaptive augmentation probability moves every `ADA_INTERVAL` updates."""
        optimizer.step()
        if self.ema is not None:
            self.ema.update(self.generator, self.trainer.global_step)
        if self.ada is not None and self.trainer.global_step % ADA_INTERVAL == 0:
            self.ada.adjust()

    def noise(self, like: torch.Tensor) -> torch.Tensor:
        return torch.randn(like.shape[0], self.latent_dim, device=like.device, dtype=like.dtype)

    def real_batches(
        self, images: torch.Tensor, labels: torch.Tensor
    ) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        """The loader's batch cut into `n_critic` (images, labels the networks see): the
        batch's labels in a conditional run, else None."""
        n = self.n_critic
        if images.shape[0] < n:
            raise UsageError(
                f"a training batch of {images.shape[0]} images cannot feed {n} "
                f"discriminator updates (n_critic={n})"
            )
        shown = labels.tensor_split(n) if self.conditional else [None] * n
        return list(zip(images.tensor_split(n), shown, strict=True))

    def log_step(self, metrics: Metrics) -> None:
        """The step's metrics stay tensors: `step_metrics` (what the divergence guard and the
        diagnosis read) and a running sum. Lightning's `self.log`, which costs a fixed amount of
        Python per name, sees the mean since the last write when its loggers write (every
        `log_every_n_steps`), at an epoch's last batch and the run's last step, weighted by its
        step count, so the `_epoch` means are exact."""
        self.step_metrics = metrics
        names, values = tuple(metrics), torch.stack([v.float() for v in metrics.values()])
        if names != self.window[0]:
            self.flush()
        _, total, steps = self.window
        self.window = (names, values if total is None else total + values, steps + 1)
        trainer = self.trainer
        last_step = 0 < trainer.max_steps <= trainer.global_step
        if trainer._logger_connector.should_update_logs or trainer.is_last_batch or last_step:
            self.flush()

    def flush(self) -> None:
        """Hand the window's means to `self.log`; the progress bar shows the losses on a CPU
        only (it reads them back every batch, a device sync on an accelerator)."""
        names, total, steps = self.window
        if not steps:
            return
        means = dict(zip(names, total / steps, strict=True))
        shown = ("c_wass" if self.critic else "d_loss", "g_loss")
        every = {"on_step": True, "on_epoch": True, "batch_size": steps}
        bar = self.device.type == "cpu"
        self.log_dict({k: v for k, v in means.items() if k in shown}, prog_bar=bar, **every)
        self.log_dict({k: v for k, v in means.items() if k not in shown}, **every)
        self.window = (names, None, 0)

    # --- optimizers, speed, sampling, checkpoints -------------------------------------------

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        """[generator optimizer, discriminator optimizer] (see `ganlab.models.optimizers`)."""
        return build_optimizers(self.hparams.optim, self.generator, self.discriminator, self.device)

    def setup(self, stage: str) -> None:
        """Memory layout and compilation, before Lightning moves the module to its device and
        wraps it for DDP (so DDP's gradient buckets match the parameters' layout)."""
        if stage != "fit":
            return
        device = self.trainer.strategy.root_device
        layout = self.hparams.channels_last
        if layout or (layout is None and device.type == "cuda"):
            for network in (self.generator, self.discriminator, self.ema):
                if network is not None:
                    network.to(memory_format=torch.channels_last)
        options = self.hparams.compile
        if options:
            # torch.compile has no double backward: a gradient penalty's discriminator stays eager
            eager_d = self.hparams.penalty in GRADIENT_PENALTIES
            for network in (self.generator,) if eager_d else (self.generator, self.discriminator):
                network.compile(**(options if isinstance(options, dict) else {}))

    @property
    def sampling_generator(self) -> nn.Module:
        """The network `generate` runs: the averaged copy (`model.ema`) or the generator."""
        if self.ema is not None and self.sample_with_ema:
            return self.ema.generator
        return self.generator

    @property
    def sampled_weights(self) -> str:
        """'ema' or 'raw': which weights `generate` samples, as the entry points report it."""
        return "ema" if self.sampling_generator is not self.generator else "raw"

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [-1, 1] from latent vectors, with the sampling generator in eval mode
        (batch-norm running statistics, no dropout) and its previous mode restored."""
        generator = self.sampling_generator
        was_training = generator.training
        generator.eval()
        try:
            return generator(z, labels if self.conditional else None)
        finally:
            generator.train(was_training)

    def fixed_samples(self) -> torch.Tensor:
        """The same noise (and labels) every time: the epoch grids show progress, not luck."""
        return self.generate(self.fixed_noise, self.fixed_labels if self.conditional else None)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        datamodule = getattr(self._trainer, "datamodule", None)
        checkpoint["ganlab"] = {
            "module": f"{type(self).__module__}.{type(self).__qualname__}",
            "version": __version__,
            "num_classes": self.num_classes,
            "class_names": self.class_names,
            "conditional": self.conditional,
            "datamodule": None
            if datamodule is None
            else f"{type(datamodule).__module__}.{type(datamodule).__qualname__}",
        }
