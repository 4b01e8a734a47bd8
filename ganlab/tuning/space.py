"""A search space written in Hydra's sweep syntax (the one `-m` and hydra-optuna-sweeper read),
as Optuna distributions, and the training overrides a trial's values make.

    model.optim.lr: tag(log, interval(1e-5, 1e-2))   # a float, sampled on a log scale
    model.optim.beta1: interval(0, 0.9)              # a float
    model.latent_dim: range(16, 129, 16)             # an integer: 16, 32, …, 128
    model.loss: choice(ns, hinge, rpgan)             # one of these, as written
"""

from collections.abc import Mapping
from typing import Any

import optuna
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, RangeSweep
from hydra.errors import HydraException
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from ganlab.errors import UsageError


def distribution(key: str, expression: str) -> BaseDistribution:
    """The distribution of one `search_space` entry. A choice's options stay the override text
    they were written as (`[translation,cutout]` included), so a sampled one is passed back
    unchanged."""
    where = f"search_space {key}: {expression}"
    try:
        override = OverridesParser.create().parse_override(f"{key}={expression}")
    except HydraException as error:
        raise UsageError(f"{where} does not parse ({error})") from None
    sweep = override.value()
    if isinstance(sweep, ChoiceSweep):
        return CategoricalDistribution(list(override.sweep_string_iterator()))
    if isinstance(sweep, IntervalSweep) and sweep.start < sweep.end:
        return FloatDistribution(sweep.start, sweep.end, log="log" in sweep.tags)
    if (
        isinstance(sweep, RangeSweep)
        and all(isinstance(x, int) for x in (sweep.start, sweep.stop, sweep.step))
        and sweep.step > 0
        and sweep.start < sweep.stop
    ):
        last = sweep.start + (sweep.stop - 1 - sweep.start) // sweep.step * sweep.step
        return IntDistribution(sweep.start, last, step=sweep.step)
    raise UsageError(
        f"{where} is not a search range: write choice(a, b, …), interval(low, high) with low < "
        "high (tag(log, interval(…)) for a log scale) or range(start, stop, step) of integers"
    )


def distributions(space: Mapping[str, str]) -> dict[str, BaseDistribution]:
    if not space:
        raise UsageError("search_space is empty: give at least one key, e.g. +search_space=…")
    return {key: distribution(key, str(expression)) for key, expression in space.items()}


def suggest(trial: optuna.Trial, key: str, space: BaseDistribution) -> Any:
    if isinstance(space, CategoricalDistribution):
        return trial.suggest_categorical(key, space.choices)
    if isinstance(space, IntDistribution):
        return trial.suggest_int(key, space.low, space.high, step=space.step)
    return trial.suggest_float(key, space.low, space.high, log=space.log)


def suggested_overrides(trial: optuna.Trial, space: Mapping[str, BaseDistribution]) -> list[str]:
    """`key=value` training overrides with this trial's values."""
    return [f"{key}={override_value(suggest(trial, key, dist))}" for key, dist in space.items()]


def override_value(value: Any) -> str:
    """A config value as override text: a string as it is written (Hydra syntax, as on a
    command line), a list or mapping element by element."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(override_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{override_value(v)}" for k, v in value.items()) + "}"
    return str(value) if isinstance(value, str) else repr(value)


def overrides(settings: Mapping[str, Any]) -> list[str]:
    """`key=value` overrides of a mapping such as `train` or `evaluate`."""
    return [f"{key}={override_value(value)}" for key, value in settings.items()]
