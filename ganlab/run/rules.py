"""Config values checked before any data is loaded or a file written, one line per problem.

A procedure, data module or callback declares its own rules (`ganlab.options`);
`check_config` finds each class from its `_target_` and checks them under the full key. The
run's own keys (`trainer.*`, `seed`, `resume`, `cpu_tricks`, `on_divergence`) have theirs here.
"""

import importlib
import importlib.util
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import torch
from omegaconf import DictConfig, ListConfig, OmegaConf

from ganlab.errors import UsageError, one_line
from ganlab.options import ABSENT, Declared, Rule, at_least, check_rules, is_int
from ganlab.run.checkpoint import registered_prefixes

LOGGER_PACKAGES = {"WandbLogger": "wandb", "MLFlowLogger": "mlflow"}
"""Loggers whose package is an optional extra of ganlab (`pip install 'ganlab[wandb]'`)."""
HALF_WEIGHTS = {"bf16-true": torch.bfloat16, "16-true": torch.float16}


def valid_devices(value: Any) -> bool:
    """What Lightning accepts: 'auto', -1 (all), a count >= 1, or device indices."""
    if value in ("auto", -1) or (is_int(value) and value >= 1):
        return True
    if isinstance(value, str):
        return re.fullmatch(r"-1|\d+|\d+(,\s*\d+)*,?", value.strip()) is not None and value != "0"
    if isinstance(value, (Sequence, ListConfig)):
        return len(value) > 0 and all(is_int(i) and i >= 0 for i in value)
    return False


ON_DIVERGENCE = Rule(
    "on_divergence", "choice", "'stop' or 'skip_batch'", lambda v: v in ("stop", "skip_batch")
)
"""The run-level `on_divergence` key, which the divergence guard's config interpolates."""
SEEDS = "from 0 to 4294967295 (the range NumPy's generator takes)"
SEED_RULE = Rule("seed", "integer", SEEDS, lambda value: 0 <= value < 2**32)
DEVICES = "'auto', -1 (all), a device count >= 1 or a list of device indices"
PRECISIONS = (
    "32-true, bf16-mixed, 64-true or bf16-true (fp16 mixed precision's loss scaler would not "
    "see the discriminator's step)"
)
RULES = [
    SEED_RULE,
    Rule("resume", "boolean"),
    Rule("cpu_tricks", "boolean"),
    ON_DIVERGENCE,
    Rule("trainer.max_epochs", "integer", ">= -1 (-1: no limit)", at_least(-1), nullable=True),
    Rule("trainer.max_steps", "integer", ">= -1 (-1: no limit)", at_least(-1)),
    Rule("trainer.log_every_n_steps", "integer", ">= 1", at_least(1)),
    Rule("trainer.devices", "choice", DEVICES, valid_devices),
    Rule("trainer.precision", "choice", PRECISIONS, lambda v: str(v) not in ("16", "16-mixed")),
]


TOOL_RULES = [
    SEED_RULE,
    Rule("overwrite", "boolean"),
    Rule("ema", "boolean", label="sample the averaged generator when there is one"),
    Rule("n_trials", "integer", ">= 1", at_least(1), always_name_type=True),
]


def check_tool_options(cfg: Mapping[str, Any]) -> None:
    """The tools' own keys (generate, evaluate, export, tune; a key a tool lacks is skipped)."""
    check_rules(TOOL_RULES, cfg, "")


class ComposedValues(Mapping):
    """A config node's values, each resolved only when a rule asks for it (other keys may
    interpolate what only exists at run time, e.g. the run folder)."""

    def __init__(self, node: DictConfig):
        self.node = node

    def __getitem__(self, key: str) -> Any:
        value = OmegaConf.select(self.node, key, default=ABSENT, throw_on_missing=False)
        if value is ABSENT:
            raise KeyError(key)
        return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value

    def __iter__(self) -> Iterator[str]:
        return iter(self.node)

    def __len__(self) -> int:
        return len(self.node)


def check_config(cfg: DictConfig) -> None:
    """Raise a `UsageError` for the first value that breaks a rule."""
    check_rules(RULES, ComposedValues(cfg), "")
    callbacks = [f"callbacks.{name}" for name, node in (cfg.get("callbacks") or {}).items() if node]
    for key in ("model", "data", *callbacks):
        target = OmegaConf.select(cfg, f"{key}._target_", default=None)
        if not isinstance(target, str):
            continue
        module, _, name = target.rpartition(".")
        try:
            owner = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError) as error:
            raise UsageError(
                f"{key}._target_={target} cannot be imported ({one_line(error)}): correct the "
                f"class path, or make its package importable (installed, or on PYTHONPATH)"
            ) from None
        if isinstance(owner, type) and issubclass(owner, Declared):
            owner.check_values(ComposedValues(OmegaConf.select(cfg, key)), f"{key}.")
    registered_prefixes(cfg.get("trusted_prefixes"))
    check_accelerator(cfg)
    for name, logger in (cfg.get("logger") or {}).items():
        package = LOGGER_PACKAGES.get(str((logger or {}).get("_target_", "")).rpartition(".")[2])
        if package is not None and importlib.util.find_spec(package) is None:
            offline = "; WANDB_MODE=offline then logs without an account" * (package == "wandb")
            raise UsageError(
                f"logger.{name} needs the {package} package, which is not installed: "
                f"pip install 'ganlab[{package}]'{offline}; or choose another logger "
                f"(logger=tensorboard, logger=csv)"
            )
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


def check_average_precision(cfg: DictConfig) -> None:
    """An EMA whose per-update share (1 - decay) is below the 16-bit weights' precision
    would round back to where it started at each update."""
    decay = OmegaConf.select(cfg, "model.ema.decay", default=None)
    precision = str(OmegaConf.select(cfg, "trainer.precision", default="32-true"))
    eps = torch.finfo(HALF_WEIGHTS[precision]).eps if precision in HALF_WEIGHTS else 0
    if decay is not None and 1 - decay < eps:
        raise UsageError(
            f"model.ema.decay={decay} under trainer.precision={precision}: the averaged "
            f"generator's 16-bit weights (precision {eps:.4f}) would round away each update's "
            f"{1 - decay:.4g} share; use trainer.precision=bf16-mixed (32-bit weights) or a "
            f"decay below {1 - eps:.4f}"
        )
