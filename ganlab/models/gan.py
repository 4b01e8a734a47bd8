"""The GAN training procedure: one LightningModule whose training step reads top to bottom.

A variant is a point along independent options (the loss, `n_critic`, a penalty, label tricks,
simultaneous updates, EMA, DiffAugment), not a class. The discriminator steps on the raw torch
optimizer and the generator through Lightning's, so `global_step` (`max_steps`,
`log_every_n_steps`, step checkpoints) counts generator updates; a subclass may replace the
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
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from ganlab import __version__, losses
from ganlab.diagnosis.signals import decision_accuracy, gradient_norm, separation_accuracy
from ganlab.errors import UsageError
from ganlab.losses import Labels
from ganlab.models.ema import GeneratorEMA
from ganlab.models.optimizers import build_optimizers, class_options, stored
from ganlab.nets import augment as diff_augment
from ganlab.nets.build import build_pair
from ganlab.options import Declared, Rule, at_least, choice, in_unit_interval, positive
from ganlab.run.checkpoint import module_from_checkpoint, read_checkpoint
from ganlab.sampling.latents import GRID_COLUMNS, grid_inputs

LAZY_PENALTIES = ("r1", "r2", "r1_r2")  # `penalty_every > 1` applies them lazily (StyleGAN2)
LABEL_TRICKS = ("label_smoothing", "label_noise", "label_flip")
Metrics = dict[str, Tensor]


def mean_over(updates: list[Metrics]) -> Metrics:
    """Each metric's mean over a step's discriminator updates (the last may log more)."""
    if len(updates) == 1:
        return updates[0]
    values = {name: [update[name] for update in updates if name in update] for name in updates[-1]}
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
        Rule("ema.decay", "number", "in [0, 1) (e.g. 0.999)", in_unit_interval, nullable=True),
        Rule("ema.start", "integer", ">= 0", at_least(0)),
        choice("loss", tuple(losses.LOSSES)),
        Rule("n_critic", "integer", ">= 1", at_least(1), always_name_type=True),
        Rule("n_generator", "integer", ">= 1", at_least(1), always_name_type=True),
        choice("penalty", ("none", *losses.GRADIENT_PENALTIES, "weight_clipping")),
        Rule("penalty_weight", "number", ">= 0", at_least(0), label="the penalty weight"),
        Rule("penalty_every", "integer", ">= 1", at_least(1)),
        Rule("clip_value", "number", "> 0", positive),
        Rule("auxiliary_classifier_weight", "number", ">= 0", at_least(0)),
        choice("update", ("alternating", "simultaneous")),
        choice("generator_noise", ("reused", "fresh"), nullable=True),
        *(Rule(name, "number", "in [0, 1)", in_unit_interval) for name in LABEL_TRICKS),
        Rule(
            "augment",
            "choice",
            f"a comma-separated string or a list of policies from {list(diff_augment.POLICIES)}",
            diff_augment.is_policy,
            nullable=True,
        ),
        Rule(
            "augment_p", "choice", "'adaptive' or a number in [0, 1]", diff_augment.is_probability
        ),
    )

    @classmethod
    def check_values(cls, values: Mapping[str, Any], prefix: str | None = None) -> None:
        """The rules, then the combinations no run can use."""
        super().check_values(values, prefix)
        p, get = cls.config_prefix if prefix is None else prefix, values.get
        if isinstance(get("optim"), Mapping):
            class_options(values["optim"])
        every, penalty = get("penalty_every", 1), get("penalty", "none")
        if every != 1 and penalty not in LAZY_PENALTIES:
            raise UsageError(
                f"{p}penalty_every={every} (lazy regularisation) applies to "
                f"{p}penalty={' or '.join(LAZY_PENALTIES)}, not {p}penalty={penalty}: "
                f"set {p}penalty_every=1"
            )
        loss = get("loss", "ns")
        takes_targets = [name for name, pair in losses.LOSSES.items() if pair.label_targets]
        for trick in LABEL_TRICKS:
            if get(trick, 0.0) and loss in losses.LOSSES and loss not in takes_targets:
                raise UsageError(
                    f"{p}{trick}={values[trick]} changes the targets of a cross-entropy loss "
                    f"({', '.join(takes_targets)}), not {p}loss={loss}: set {p}{trick}=0 or "
                    f"choose {p}loss=ns"
                )
        if get("augment_p", 1.0) != 1.0 and not get("augment"):
            raise UsageError(
                f"{p}augment_p={values['augment_p']} sets how often the DiffAugment policies "
                f"apply, but {p}augment names none: set e.g. {p}augment=[translation,cutout]"
            )
        if (weight := get("auxiliary_classifier_weight")) and not get("conditional"):
            raise UsageError(
                f"{p}auxiliary_classifier_weight={weight} trains D to name the class of an "
                f"unconditional run: set {p}conditional=true or {p}auxiliary_classifier_weight=0"
            )
        for key in ("n_critic", "n_generator"):
            if get("update") == "simultaneous" and get(key, 1) != 1:
                raise UsageError(
                    f"{p}update=simultaneous takes one update of each network per step, not "
                    f"{p}{key}={values[key]}: set {p}{key}=1 or {p}update=alternating"
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
        options["image_shape"] = shape = tuple(options["image_shape"])
        options["class_names"] = self.class_names = list(options["class_names"] or [])
        options["optim"] = stored(options["optim"])
        averaged = options["ema"] if (options["ema"] or {}).get("decay") else None
        options["ema"] = averaged  # None: off, as checkpoints written before the option say
        self.save_hyperparameters(options)
        self.automatic_optimization = False
        self.objective = losses.LOSSES[loss]  # a user's procedure may set its own (extending.md)
        self.latent_dim, self.conditional, self.num_classes = latent_dim, conditional, num_classes
        self.n_critic = n_critic
        self.reuse_fakes = generator_noise != "fresh"
        self.augmentation = diff_augment.augmentation_of(options["augment"])
        self.ada = diff_augment.AdaptiveProbability() if augment_p == "adaptive" else None
        classes = num_classes if conditional else 0
        head = auxiliary_classifier_weight > 0  # AC-GAN's class head on the discriminator
        self.generator, self.discriminator = build_pair(
            options["net"], latent_dim, shape, classes, auxiliary_classifier=head
        )
        coupled = any(isinstance(m, _BatchNorm) for m in self.discriminator.modules())
        if penalty in losses.GRADIENT_PENALTIES and coupled:
            warnings.warn(
                f"the {penalty} penalty is per sample, but the discriminator's batch norm couples "
                f"the samples: set model.net.discriminator.norm to none, layer or instance",
                stacklevel=2,
            )
        self.ema = GeneratorEMA(self.generator, **averaged) if averaged else None
        self.sample_with_ema = True  # `generate` draws from the averaged copy when there is one
        self.grid_columns = GRID_COLUMNS
        fixed_noise, fixed_labels = grid_inputs(latent_dim, sample_count, classes)
        self.register_buffer("fixed_noise", fixed_noise)
        self.register_buffer("fixed_labels", fixed_labels)
        self.step_metrics: Metrics = {}  # the last step's metrics, as tensors (see `log_step`)
        # the names, running sum and step count of the metrics not yet handed to `self.log`
        self.window: tuple[tuple[str, ...], Tensor | None, int] = ((), None, 0)

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
        """Lightning's documented door, through ganlab's one reader (`ganlab.run.checkpoint`)."""
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

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        """`n_critic` discriminator updates, then one generator update."""
        opt_g, opt_d = self.optimizers()
        reals = self.real_batches(*batch)
        if self.hparams["update"] == "simultaneous":  # (hparams.update is dict.update)
            return self.log_step(self.simultaneous_step(opt_g, opt_d, *reals[0]))
        # 1. the discriminator: one update per real batch, each against fresh (detached) fakes
        updates = []
        for index, (real, labels) in enumerate(reals):
            last = index == len(reals) - 1
            with torch.set_grad_enabled(last and self.reuse_fakes):  # the G update reuses them
                fake = self.generator(self.noise(real), labels)
            with self.toggled_optimizer(opt_d):
                real_logits, real_classes = self.discriminate(real, labels)
                fake_logits, fake_classes = self.discriminate(fake.detach(), labels)
                d_loss, metrics = self.discriminator_loss(
                    real_logits, fake_logits, real, fake, labels, (real_classes, fake_classes)
                )
                opt_d.zero_grad(set_to_none=True)
                self.manual_backward(d_loss)
                metrics |= self.gradient_norms("d") | self.adapt(real_logits)
                opt_d.optimizer.step()  # the raw optimizer: Lightning counts generator steps only
                if self.hparams.penalty == "weight_clipping":
                    metrics |= self.clip(real, fake.detach(), labels, last)
            updates.append(metrics)
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

    def simultaneous_step(
        self, opt_g: LightningOptimizer, opt_d: LightningOptimizer, real: Tensor, labels: Labels
    ) -> Metrics:
        """Both losses from one forward pass (the TensorFlow tutorial's two gradient tapes); D
        sees the fakes as a leaf, so each backward reaches one network, as DDP expects."""
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
        metrics |= self.gradient_norms("d", "g") | self.adapt(real_logits)
        opt_d.optimizer.step()
        if self.hparams.penalty == "weight_clipping":
            metrics |= self.clip(real, leaf.detach(), labels, True)
        self.step_generator(opt_g)
        return metrics | {"g_loss": g_loss.detach()}

    # --- the pieces of a step -----------------------------------------------------------

    def discriminator_loss(
        self,
        real_logits: Tensor,
        fake_logits: Tensor,
        real: Tensor,
        fake: Tensor,
        labels: Labels,
        classes: tuple[Tensor | None, Tensor | None] = (None, None),
    ) -> tuple[Tensor, Metrics]:
        """The discriminator's whole loss (label tricks, penalty, the auxiliary classifier's
        cross-entropy on the real and fake `classes` logits) and what it logs."""
        hp, prefix, targets = self.hparams, "c" if self.critic else "d", ()
        if self.objective.label_targets:
            tricks = {"noise": hp.label_noise, "flip": hp.label_flip}
            targets = (
                losses.discriminator_targets(real_logits, True, hp.label_smoothing, **tricks),
                losses.discriminator_targets(fake_logits, False, **tricks),
            )
        loss = self.objective.discriminator(real_logits, fake_logits, *targets)
        metrics = self.scores(real_logits.detach(), fake_logits.detach())
        if hp.penalty in losses.GRADIENT_PENALTIES and self.global_step % hp.penalty_every == 0:
            function, short = losses.GRADIENT_PENALTIES[hp.penalty]
            value, norms = function(self.discriminator, real, fake, labels)
            loss = loss + hp.penalty_weight * hp.penalty_every * value
            metrics[f"{prefix}_{short}"] = value.detach()
            metrics[f"{prefix}_grad_norm"] = norms.detach().mean()
        if classes[0] is not None:
            value, right = losses.auxiliary_classifier_loss(labels, *classes)
            loss = loss + hp.auxiliary_classifier_weight * value
            metrics[f"{prefix}_class_loss"] = value.detach()
            metrics[f"{prefix}_class_acc_real"], metrics[f"{prefix}_class_acc_fake"] = right
        return loss, metrics | {f"{prefix}_loss": loss.detach()}

    def generator_loss(
        self,
        fake_logits: Tensor,
        real: Tensor,
        labels: Labels,
        real_logits: Tensor | None = None,
        fake_classes: Tensor | None = None,
    ) -> Tensor:
        """The generator's loss; a relativistic one also reads D on the real images; with the
        auxiliary classifier, plus its cross-entropy on the fakes' `fake_classes` logits."""
        if self.objective.relativistic and real_logits is None:
            real_logits, _ = self.discriminate(real, labels)
        relative_to = (real_logits,) if self.objective.relativistic else ()
        loss = self.objective.generator(fake_logits, *relative_to)
        if fake_classes is None:
            return loss
        class_loss, _ = losses.auxiliary_classifier_loss(labels, fake_classes)
        return loss + self.hparams.auxiliary_classifier_weight * class_loss

    def scores(self, real: Tensor, fake: Tensor) -> Metrics:
        """`c_wass` (a critic's Wasserstein estimate) or the mean outputs `d_real`/`d_fake`
        (probabilities under cross-entropy); with the diagnostics, the accuracies `d_acc_*` on the
        decision threshold or, a critic having none, `c_acc_*` (docs/diagnosis.md)."""
        if self.critic:
            metrics = {"c_wass": real.mean() - fake.mean()}
        elif self.objective.label_targets:
            metrics = {"d_real": real.sigmoid().mean(), "d_fake": fake.sigmoid().mean()}
        else:
            metrics = {"d_real": real.mean(), "d_fake": fake.mean()}
        if not self.hparams.diagnostics:
            return metrics
        if self.critic:
            metrics["c_acc_real"], metrics["c_acc_fake"] = separation_accuracy(real, fake)
        else:
            threshold = self.objective.decision_threshold
            metrics["d_acc_real"], metrics["d_acc_fake"] = decision_accuracy(real, fake, threshold)
        return metrics

    def clip(self, real: Tensor, fake: Tensor, labels: Labels, last: bool) -> Metrics:
        """Weight clipping after a discriminator step; after the step's last one, the clipped
        critic's gradient norm (to compare with a gradient penalty's)."""
        losses.clip_weights(self.discriminator, self.hparams.clip_value)
        if not last:
            return {}
        interpolates = losses.random_interpolates(real, fake)
        norms = losses.critic_gradient_norms(self.discriminator, interpolates, labels, False)
        return {f"{'c' if self.critic else 'd'}_grad_norm": norms.mean()}

    def adapt(self, real_logits: Tensor) -> Metrics:
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

    def discriminate(self, images: Tensor, labels: Labels) -> tuple[Tensor, Tensor | None]:
        """D's logits and class logits (AC-GAN's head, else None) through the run's DiffAugment,
        on real and fake images alike; a penalty calls D itself, on un-augmented images."""
        if self.augmentation is not None:
            p = self.ada.p if self.ada else float(self.hparams.augment_p)
            images = self.augmentation(images, p)
        if self.hparams.auxiliary_classifier_weight:
            return self.discriminator(images, labels, classes=True)
        return self.discriminator(images, labels), None

    def step_generator(self, optimizer: LightningOptimizer) -> None:
        """One generator update (one `global_step`); the averaged copy follows it, and an
        adaptive augmentation probability moves every `ADA_INTERVAL` updates."""
        optimizer.step()
        if self.ema is not None:
            self.ema.update(self.generator, self.trainer.global_step)
        if self.ada is not None and self.trainer.global_step % diff_augment.ADA_INTERVAL == 0:
            self.ada.adjust()

    def noise(self, like: Tensor) -> Tensor:
        return torch.randn(like.shape[0], self.latent_dim, device=like.device, dtype=like.dtype)

    def real_batches(self, images: Tensor, labels: Tensor) -> list[tuple[Tensor, Labels]]:
        """The loader's batch cut into `n_critic` (images, labels the networks see)."""
        n = self.n_critic
        if images.shape[0] < n:
            raise UsageError(
                f"a training batch of {images.shape[0]} images cannot feed {n} "
                f"discriminator updates (n_critic={n})"
            )
        shown = labels.tensor_split(n) if self.conditional else [None] * n
        return list(zip(images.tensor_split(n), shown, strict=True))

    def log_step(self, metrics: Metrics) -> None:
        """Metrics stay tensors (`step_metrics`, for the guards and the diagnosis) in a running
        sum whose mean `self.log` (a Python cost per name) sees only when the loggers write."""
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
        shown = ("c_wass" if self.critic else "d_loss", "g_loss")
        bar = self.device.type == "cpu"
        every = {"on_step": True, "on_epoch": True, "batch_size": steps}
        for name, mean in zip(names, total / steps, strict=True):
            self.log(name, mean, prog_bar=bar and name in shown, **every)
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
        layout, options = self.hparams.channels_last, self.hparams.compile
        if layout or (layout is None and self.trainer.strategy.root_device.type == "cuda"):
            self.to(memory_format=torch.channels_last)  # every 4-D weight: both networks, the EMA
        if options:
            # torch.compile has no double backward: a gradient penalty's discriminator stays eager
            eager_d = self.hparams.penalty in losses.GRADIENT_PENALTIES
            for network in (self.generator,) if eager_d else (self.generator, self.discriminator):
                network.compile(**(options if isinstance(options, dict) else {}))

    @property
    def sampling_generator(self) -> nn.Module:
        """The network `generate` runs: the averaged copy (`model.ema`) or the generator."""
        if self.ema is not None and self.sample_with_ema:
            return self.ema.generator
        return self.generator

    @torch.no_grad()
    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Images in [-1, 1] from latent vectors, with the sampling generator in eval mode
        (batch-norm running statistics, no dropout) and its previous mode restored."""
        generator = self.sampling_generator
        was_training = generator.training
        generator.eval()
        try:
            return generator(z, labels if self.conditional else None)
        finally:
            generator.train(was_training)

    def fixed_samples(self) -> Tensor:
        """The same noise (and labels) every time: the epoch grids show progress, not luck."""
        return self.generate(self.fixed_noise, self.fixed_labels if self.conditional else None)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        datamodule = getattr(self._trainer, "datamodule", None)
        module, data = type(self), type(datamodule)
        checkpoint["ganlab"] = {
            "module": f"{module.__module__}.{module.__qualname__}",
            "version": __version__,
            "num_classes": self.num_classes,
            "class_names": self.class_names,
            "conditional": self.conditional,
            "datamodule": None if datamodule is None else f"{data.__module__}.{data.__qualname__}",
        }
