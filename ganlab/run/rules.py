"""Config values checked before any work, each failure one `UsageError` line naming the key.

`RULES` covers every preset's keys; a rule whose key is absent from the composed config is
skipped, so procedure-specific keys (a WGAN's `model.n_critic`, `model.gp_weight`,
`model.clip_value`) are checked exactly when the chosen preset has them. Constructors keep
their own checks for callers that build modules from Python; these run first, before data
is loaded or a file is written.
"""

import importlib.util
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from hydra.errors import InstantiationException
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch import LightningDataModule
from omegaconf import DictConfig, ListConfig, OmegaConf

from ganlab.callbacks.divergence import MODES as DIVERGENCE_MODES
from ganlab.errors import UsageError, one_line

ABSENT = object()
BAD_ARGUMENTS = r"unexpected keyword|missing \d+ required"
TYPE_WORDS = {"integer": "an integer", "number": "a number", "boolean": "true or false"}
LOGGER_PACKAGES = {"WandbLogger": "wandb", "MLFlowLogger": "mlflow"}
"""Loggers whose package is an optional extra of ganlab (`pip install 'ganlab[wandb]'`)."""


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str
    """'integer', 'number', 'boolean' or 'choice'."""
    requirement: str
    test: Callable[[Any], bool]
    nullable: bool = False
    label: str = ""
    """Said after the key: what the value means."""
    always_name_type: bool = False

    def problem(self, value: Any) -> str | None:
        if value is None and self.nullable:
            return None
        typed = {
            "integer": is_int,
            "number": is_number,
            "boolean": lambda v: isinstance(v, bool),
            "choice": lambda v: True,
        }[self.kind](value)
        if typed and self.test(value):
            return None
        named = not typed or self.always_name_type
        requirement = f"{TYPE_WORDS[self.kind]} {self.requirement}" if named else self.requirement
        null = " (or null)" if self.nullable else ""
        label = f" ({self.label})" if self.label else ""
        return f"{self.key}{label} must be {requirement.strip()}{null}, got {value!r}"


def at_least(bound: int) -> Callable[[Any], bool]:
    return lambda value: value >= bound


def positive(value: float) -> bool:
    return value > 0


def in_unit_interval(value: float) -> bool:
    return 0 <= value < 1


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


RULES = [
    Rule("seed", "integer", "", lambda v: True),
    Rule("resume", "boolean", "", lambda v: True),
    Rule("cpu_tricks", "boolean", "", lambda v: True),
    Rule("on_divergence", "choice", "'stop' or 'skip_batch'", lambda v: v in DIVERGENCE_MODES),
    Rule("model.latent_dim", "integer", ">= 1", at_least(1)),
    Rule("model.sample_count", "integer", ">= 1", at_least(1)),
    Rule("model.optim.lr", "number", "> 0", positive),
    Rule("model.optim.lr_g", "number", "> 0", positive, nullable=True),
    Rule("model.optim.lr_d", "number", "> 0", positive, nullable=True),
    Rule("model.optim.beta1", "number", "in [0, 1)", in_unit_interval),
    Rule("model.optim.beta2", "number", "in [0, 1)", in_unit_interval),
    # worded as ganlab.models.wgan words them
    Rule("model.n_critic", "integer", ">= 1", at_least(1), always_name_type=True),
    Rule("model.gp_weight", "number", ">= 0", at_least(0), label="the penalty weight λ"),
    Rule("model.clip_value", "number", "> 0", positive),
    Rule("data.batch_size", "integer", ">= 1", at_least(1)),
    Rule("data.num_workers", "integer", ">= 0", at_least(0), nullable=True),
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
    *(
        Rule(f"callbacks.{name}.{key}", "integer", ">= 0 (0: never)", at_least(0), nullable=True)
        for name in ("last_checkpoint", "periodic_checkpoint")
        for key in ("every_n_train_steps", "every_n_epochs")
    ),
]


def check_config(cfg: DictConfig) -> None:
    """Raise a `UsageError` for the first value that breaks a rule."""
    for rule in RULES:
        value = OmegaConf.select(cfg, rule.key, default=ABSENT, throw_on_missing=False)
        if value is ABSENT:
            continue
        if isinstance(value, (DictConfig, ListConfig)):
            value = OmegaConf.to_container(value, resolve=True)
        problem = rule.problem(value)
        if problem:
            raise UsageError(problem)
    check_checkpoint_triggers(cfg)
    check_accelerator(cfg)
    check_logger_packages(cfg)


def check_checkpoint_triggers(cfg: DictConfig) -> None:
    """Lightning's ModelCheckpoint takes one trigger: steps or epochs, not both."""
    for name in ("last_checkpoint", "periodic_checkpoint"):
        steps = OmegaConf.select(cfg, f"callbacks.{name}.every_n_train_steps")
        epochs = OmegaConf.select(cfg, f"callbacks.{name}.every_n_epochs")
        if steps and epochs:
            raise UsageError(
                f"callbacks.{name} saves every {steps} steps and every {epochs} epochs: Lightning "
                f"takes one of them; set the other to null (callbacks.{name}.every_n_epochs=null)"
            )


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
