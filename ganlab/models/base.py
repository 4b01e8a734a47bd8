"""What every training procedure shares: building the network pair from the data's shape,
the optimizers, fixed-noise sampling, and the training schedule (`ganlab.models.schedule`,
which also says what `global_step` counts).

Speed: `compile`, `channels_last` and fused Adam are applied in `setup` and
`configure_optimizers`, the one place that knows the training device; process-wide settings
(the CPU's memory policy) belong to the entry point (`ganlab.run.process`).
"""

import logging
from collections.abc import Mapping
from typing import Any

import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from lightning.pytorch.core.optimizer import LightningOptimizer
from omegaconf import DictConfig, OmegaConf

from ganlab import __version__
from ganlab.errors import UsageError
from ganlab.models import ema as averaging
from ganlab.models.augment import POLICIES, augmentation_of, is_policy
from ganlab.models.optimizers import build_optimizers, class_options, stored
from ganlab.models.schedule import GENERATOR_NOISE, Schedule
from ganlab.run.values import Declared, Rule, at_least, in_unit_interval, positive
from ganlab.sampling.latents import GRID_MAX_CLASSES, class_rows

log = logging.getLogger(__name__)

GRID_COLUMNS = 8
"""Images per row of the epoch sample grid; a conditional grid has one such row per class."""


def plain(value: Any) -> Any:
    """OmegaConf containers → plain Python, so hyper-parameters pickle without Hydra."""
    if isinstance(value, DictConfig) or OmegaConf.is_config(value):
        return OmegaConf.to_container(value, resolve=True)
    return value


class GAN(Schedule, Declared):
    """Base class of the procedures: the network pair built from the data's shape, the
    optimizers, fixed-noise sampling and the checkpoint's own entry. The training step is
    `Schedule`'s; a procedure writes its objectives (see `ganlab.models.schedule`) and
    declares the `rules` its own arguments obey (see `ganlab.run.values`)."""

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
        Rule(
            "generator_noise",
            "choice",
            f"one of {list(GENERATOR_NOISE)}",
            lambda value: value in GENERATOR_NOISE,
            nullable=True,
        ),
        Rule(
            "augment",
            "choice",
            f"a comma-separated string or a list of policies from {list(POLICIES)}",
            is_policy,
            nullable=True,
        ),
    )

    @classmethod
    def check_values(cls, values: Mapping[str, Any], prefix: str | None = None) -> None:
        """The rules, then the optimizer: a torch.optim class and options it takes."""
        super().check_values(values, prefix)
        if isinstance(values.get("optim"), Mapping):
            class_options(values["optim"])

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
        compile: bool | dict = False,
        channels_last: bool | None = None,
        diagnostics: bool = True,
        ema: dict | None = None,
        generator_noise: str | None = None,
        augment: str | list[str] | None = None,
    ):
        super().__init__()
        net, optim, ema = plain(net), plain(optim), plain(ema) or {}
        image_shape = tuple(plain(image_shape))
        class_names = list(plain(class_names) or [])
        augment = plain(augment)
        self.check_values(
            {
                "latent_dim": latent_dim,
                "sample_count": sample_count,
                "optim": optim,
                "generator_noise": generator_noise,
                "augment": augment,
                "ema": ema,
            }
        )
        if conditional and num_classes < 1:
            raise UsageError(
                "model.conditional=true but the data module yields no labels (0 classes): "
                "choose labelled data (data=mnist, data=celeba data.condition_on=Blond_Hair, "
                "data=folder data.labels=true) or an unconditional model (model.conditional=false)"
            )
        self.save_hyperparameters(
            {
                "net": net,
                "optim": stored(optim),
                "latent_dim": latent_dim,
                "image_shape": image_shape,
                "num_classes": num_classes,
                "class_names": class_names,
                "conditional": conditional,
                "sample_count": sample_count,
                "compile": plain(compile),
                "channels_last": channels_last,
                "diagnostics": diagnostics,
                # off: None, as in checkpoints written before the option, which then resume
                "ema": ema if ema.get("decay") is not None else None,
                "generator_noise": generator_noise,
                "augment": augment,
            }
        )
        if generator_noise is not None:
            # None (a checkpoint from before the key): the procedure's own choice
            self.generator_reuses_fakes = generator_noise == "reused"
        self.automatic_optimization = False
        self.diagnostics = diagnostics
        self.latent_dim = latent_dim
        self.conditional = conditional
        self.num_classes = num_classes
        self.class_names = class_names
        self.augmentation = augmentation_of(augment)
        classes = num_classes if conditional else 0
        try:
            self.generator = instantiate(
                net["generator"],
                latent_dim=latent_dim,
                image_shape=image_shape,
                num_classes=classes,
            )
            self.discriminator = instantiate(
                net["discriminator"], image_shape=image_shape, num_classes=classes
            )
        except (ValueError, InstantiationException) as error:
            # instantiate wraps what a network's constructor raises
            cause = error.__cause__ if isinstance(error, InstantiationException) else error
            if not isinstance(cause, ValueError):
                raise
            raise UsageError(
                f"cannot build the networks for images {image_shape}: {cause}"
            ) from None
        self.ema = (
            averaging.GeneratorEMA(self.generator, ema["decay"], ema.get("start", 0))
            if ema.get("decay") is not None
            else None
        )
        self.grid_columns = GRID_COLUMNS
        if conditional:
            fixed_noise, fixed_labels = class_rows(num_classes, GRID_COLUMNS, latent_dim)
            if num_classes > GRID_MAX_CLASSES:
                log.info(
                    "the epoch sample grids show the first %d of the %d classes, one row each",
                    GRID_MAX_CLASSES,
                    num_classes,
                )
        else:
            fixed_noise = torch.randn(sample_count, latent_dim)
            fixed_labels = torch.zeros(0, dtype=torch.long)
        self.register_buffer("fixed_noise", fixed_noise)
        self.register_buffer("fixed_labels", fixed_labels)

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        """[generator optimizer, discriminator optimizer] (see `ganlab.models.optimizers`)."""
        return build_optimizers(self.hparams.optim, self.generator, self.discriminator, self.device)

    def setup(self, stage: str) -> None:
        """Memory layout and compilation, before Lightning moves the module to its device and
        wraps it for DDP (so DDP's gradient buckets match the parameters' layout)."""
        if stage != "fit":
            return
        device = self.trainer.strategy.root_device
        if self.hparams.channels_last or (
            self.hparams.channels_last is None and device.type == "cuda"
        ):
            self.generator.to(memory_format=torch.channels_last)
            self.discriminator.to(memory_format=torch.channels_last)
            if self.ema is not None:
                self.ema.to(memory_format=torch.channels_last)
        options = self.hparams.compile
        if options:
            # simultaneous updates and the gradient penalty keep the graph for a second
            # backward, which a compiled backward refuses while it donates its buffers
            torch._functorch.config.donated_buffer = False
            for name in self.networks_to_compile():
                getattr(self, name).compile(**(options if isinstance(options, dict) else {}))

    def networks_to_compile(self) -> tuple[str, ...]:
        """What `compile=true` compiles. torch.compile cannot back-propagate twice, so a
        procedure that differentiates through the discriminator's input gradient (the
        gradient penalty) leaves the discriminator out."""
        return ("generator", "discriminator")

    def on_train_start(self) -> None:
        """Under DDP every rank starts from the same seed: give each rank its own noise and
        dropout stream (derived from the shared state, so a seeded run stays reproducible)."""
        if self.trainer.world_size > 1:
            shared = int(torch.randint(2**62, (1,)).item())
            torch.manual_seed(shared + self.trainer.global_rank)

    def step_generator(self, optimizer: LightningOptimizer) -> None:
        """One generator update, then the averaged copy follows it (here rather than in
        `on_train_batch_end`, which Lightning calls after the callbacks': a step checkpoint
        or the divergence guard's restore would otherwise see the copy one update behind)."""
        super().step_generator(optimizer)
        if self.ema is not None:
            self.ema.update(self.generator, self.trainer.global_step)

    sample_with_ema = True
    """Whether `generate` (the epoch grids, ganlab.generate/evaluate/export) draws from the
    averaged generator when there is one; those entry points' `ema=false` sets it False."""

    @property
    def sampling_generator(self) -> torch.nn.Module:
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
        """The same noise (and labels) every time: the epoch grids show progress, not luck.
        Unconditional: `sample_count` images; conditional: `grid_columns` images per class row."""
        return self.generate(self.fixed_noise, self.fixed_labels if self.conditional else None)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        cls = type(self)
        checkpoint["ganlab"] = {
            "module": f"{cls.__module__}.{cls.__qualname__}",
            "version": __version__,
            "num_classes": self.num_classes,
            "class_names": self.class_names,
            "conditional": self.conditional,
            "datamodule": class_path(getattr(self._trainer, "datamodule", None)),
        }


def class_path(obj: Any) -> str | None:
    return None if obj is None else f"{type(obj).__module__}.{type(obj).__qualname__}"
