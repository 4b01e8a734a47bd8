"""Config values checked before any work, each failure one `UsageError` line naming the key.

A procedure, data module or callback declares the rules of its own arguments (`rules` on the
class, see `ganlab.run.values`); `check_config` finds each one from its `_target_` in the
composed config (the user's own config: importing it is what training would do next) and
checks its rules on the composed values under the full key (`model.n_critic`, `data.batch_size`,
`callbacks.last_checkpoint.every_n_epochs`). The run-level keys ganlab owns no class for
(`trainer.*`, `seed`, `resume`, `cpu_tricks`, `on_divergence`) have their rules here.
All of it runs before data is loaded or a file is written.
"""

import importlib
import importlib.util
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import torch
from hydra.errors import InstantiationException
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch import LightningDataModule
from omegaconf import DictConfig, ListConfig, OmegaConf
from torch.nn import Module
from torch.nn.modules.batchnorm import _BatchNorm

from ganlab.errors import UsageError, one_line
from ganlab.run.trust import registered_prefixes
from ganlab.run.values import ABSENT, Declared, Rule, at_least, check_rules, is_int

BAD_ARGUMENTS = r"unexpected keyword|missing \d+ required"
LOGGER_PACKAGES = {"WandbLogger": "wandb", "MLFlowLogger": "mlflow"}
"""Loggers whose package is an optional extra of ganlab (`pip install 'ganlab[wandb]'`)."""


def valid_devices(value: Any) -> bool:
    """What Lightning accepts: 'auto', -1 (all), a count >= 1, or device indices."""
    if value == "auto" or value == -1:
        return True
    if is_int(value):
        return value >= 1
    if isinstance(value, str):
        return re.fullmatch(r"-1|\d+|\d+(,\s*\d+)*,?", value.strip()) is not None and value != "0"
    if isinstance(value, (Sequence, ListConfig)):
        return len(value) > 0 and all(is_int(i) and i >= 0 for i in value)
    return False


ON_DIVERGENCE = Rule(
    "on_divergence", "choice", "'stop' or 'skip_batch'", lambda v: v in ("stop", "skip_batch")
)
"""The run-level `on_divergence` key, which the divergence guard's config interpolates."""
SEED_MAX = 2**32 - 1
SEED_RULE = Rule(
    "seed",
    "integer",
    f"from 0 to {SEED_MAX} (the range NumPy's generator takes)",
    lambda value: 0 <= value <= SEED_MAX,
)


def check_seed(seed: Any) -> None:
    """The entry points' `seed=` (training checks it with the other run keys)."""
    problem = SEED_RULE.problem(seed)
    if problem:
        raise UsageError(problem)


def check_batch_norm_batch(batch_size: int, model: Module) -> None:
    """Batch norm in training needs two values per channel: a batch of one image through a
    batch-normalised vector layer fails mid-step, and through a convolution it normalises
    each image by itself."""
    if batch_size == 1 and any(isinstance(m, _BatchNorm) for m in model.modules()):
        raise UsageError(
            "data.batch_size=1 but the networks use batch norm, which needs 2 or more images "
            "per batch in training: raise data.batch_size, or choose networks without batch "
            "norm (model.net.generator.norm=layer, model.net.discriminator.norm=none)"
        )


RULES = [
    SEED_RULE,
    Rule("resume", "boolean"),
    Rule("cpu_tricks", "boolean"),
    ON_DIVERGENCE,
    Rule("trainer.max_epochs", "integer", ">= -1 (-1: no limit)", at_least(-1), nullable=True),
    Rule("trainer.max_steps", "integer", ">= -1 (-1: no limit)", at_least(-1)),
    Rule("trainer.log_every_n_steps", "integer", ">= 1", at_least(1)),
    Rule(
        "trainer.devices",
        "choice",
        "'auto', -1 (all), a device count >= 1 or a list of device indices",
        valid_devices,
    ),
    Rule(
        "trainer.precision",
        "choice",
        "32-true, bf16-mixed, 64-true or bf16-true (fp16 mixed precision's loss scaler "
        "would not see the discriminator's step)",
        lambda v: str(v) not in ("16", "16-mixed"),
    ),
]
"""The run's own keys; every other rule is declared by the class that takes the value."""


class ComposedValues(Mapping):
    """A config node's values, each resolved only when a rule asks for it (other keys may
    interpolate what only exists at run time, e.g. the run folder)."""

    def __init__(self, node: DictConfig):
        self.node = node

    def __getitem__(self, key: str) -> Any:
        value = OmegaConf.select(self.node, key, default=ABSENT, throw_on_missing=False)
        if value is ABSENT:
            raise KeyError(key)
        if isinstance(value, (DictConfig, ListConfig)):
            return OmegaConf.to_container(value, resolve=True)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (
            OmegaConf.select(self.node, key, default=ABSENT, throw_on_missing=False) is not ABSENT
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self.node)

    def __len__(self) -> int:
        return len(self.node)


def owned_nodes(cfg: DictConfig) -> Iterator[str]:
    """The config keys whose node names a class by `_target_`: model, data, each callback."""
    yield from ("model", "data")
    callbacks = cfg.get("callbacks") or {}
    yield from (f"callbacks.{name}" for name, node in callbacks.items() if node)


def owner_of(cfg: DictConfig, key: str) -> type[Declared] | None:
    """The class `key._target_` names, when it declares rules."""
    target = OmegaConf.select(cfg, f"{key}._target_", default=None)
    if not isinstance(target, str):
        return None
    module, _, name = target.rpartition(".")
    try:
        owner = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as error:
        raise UsageError(
            f"{key}._target_={target} cannot be imported ({one_line(error)}): correct the class "
            f"path, or make its package importable (installed, or on PYTHONPATH)"
        ) from None
    return owner if isinstance(owner, type) and issubclass(owner, Declared) else None


def check_config(cfg: DictConfig) -> None:
    """Raise a `UsageError` for the first value that breaks a rule."""
    check_rules(RULES, ComposedValues(cfg), "")
    for key in owned_nodes(cfg):
        owner = owner_of(cfg, key)
        if owner is not None:
            owner.check_values(ComposedValues(OmegaConf.select(cfg, key)), f"{key}.")
    registered_prefixes(cfg.get("trusted_prefixes"))
    check_accelerator(cfg)
    check_logger_packages(cfg)
    check_average_precision(cfg)


def check_accelerator(cfg: DictConfig) -> None:
    """A GPU run needs the GPUs it asks for."""
    accelerator = str(OmegaConf.select(cfg, "trainer.accelerator", default="auto"))
    if accelerator not in ("gpu", "cuda"):
        return
    available = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if available == 0:
        raise UsageError(
            f"trainer.accelerator={accelerator} but torch sees no CUDA GPU: train on the CPU "
            f"with trainer=cpu (or trainer.accelerator=cpu)"
        )
    devices = OmegaConf.select(cfg, "trainer.devices", default="auto")
    if is_int(devices) and devices > available:
        raise UsageError(
            f"trainer.devices={devices} but only {available} CUDA GPU(s) are visible: "
            f"lower trainer.devices (or use trainer.devices=-1 for all)"
        )


def check_logger_packages(cfg: DictConfig) -> None:
    """A logger whose package is not installed is named before anything is written."""
    for name, logger in (cfg.get("logger") or {}).items():
        target = str((logger or {}).get("_target_", ""))
        package = LOGGER_PACKAGES.get(target.rpartition(".")[2])
        if package is None or importlib.util.find_spec(package) is not None:
            continue
        offline = "; WANDB_MODE=offline then logs without an account" if package == "wandb" else ""
        raise UsageError(
            f"logger.{name} needs the {package} package, which is not installed: "
            f"pip install 'ganlab[{package}]'{offline}; or choose another logger "
            f"(logger=tensorboard, logger=csv)"
        )


HALF_WEIGHTS = {"bf16-true": torch.bfloat16, "16-true": torch.float16}
"""Precisions that keep the weights themselves, the averaged generator's included, in 16 bits."""


def check_average_precision(cfg: DictConfig) -> None:
    """An EMA whose per-update share (1 - decay) is below the weights' precision would stay
    where it started: each update rounds back to the old value."""
    decay = OmegaConf.select(cfg, "model.ema.decay", default=None)
    precision = str(OmegaConf.select(cfg, "trainer.precision", default="32-true"))
    if decay is None or precision not in HALF_WEIGHTS:
        return
    eps = torch.finfo(HALF_WEIGHTS[precision]).eps
    if 1 - decay < eps:
        raise UsageError(
            f"model.ema.decay={decay} under trainer.precision={precision}: the averaged "
            f"generator's 16-bit weights (precision {eps:.4f}) would round away each update's "
            f"{1 - decay:.4g} share; use trainer.precision=bf16-mixed (32-bit weights) or a "
            f"decay below {1 - eps:.4f}"
        )


def check_data_fits(datamodule: LightningDataModule) -> None:
    """Load the data set and refuse one smaller than a batch, before anything is written
    (Lightning writes the logger's files before it asks for the loader)."""
    datamodule.setup("fit")
    datamodule.check_batch_fits()


def usage_error_of(error: BaseException) -> UsageError | None:
    """A constructor that Hydra's `instantiate` called with arguments it does not take (a key
    added with `+key=value`), or a Lightning misconfiguration, as a one-line usage error."""
    if not isinstance(error, InstantiationException):
        return None
    cause = error.__cause__
    match = re.search(r"full_key: (\S+)", str(error))
    key = match.group(1) if match else "config"
    if isinstance(cause, TypeError) and re.search(BAD_ARGUMENTS, str(cause)):
        return UsageError(
            f"{key}: {one_line(cause)}; remove or correct that key (python -m ganlab.train "
            f"--cfg job prints the valid ones)"
        )
    if isinstance(cause, MisconfigurationException):
        return UsageError(f"{key}: {one_line(cause)}")
    return None
