"""What a config value must be, declared once by the class that takes it (its `rules`).

The constructor checks them for Python callers, and `ganlab.run.rules.check_config` checks the
same rules on the composed config before any data is prepared, naming the full key
(`model.n_critic must be an integer >= 1, got 0`). A rule whose key is absent is skipped.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ganlab.errors import UsageError

ABSENT = object()


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


KINDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "integer": ("an integer", is_int),
    "number": ("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)),
    "boolean": ("true or false", lambda v: isinstance(v, bool)),
    "choice": ("", lambda v: True),  # any type: `test` decides
}


@dataclass(frozen=True)
class Rule:
    key: str
    """Relative to the owner's config node: `n_critic`, `optim.lr`."""
    kind: str
    """'integer', 'number', 'boolean' or 'choice'."""
    requirement: str = ""
    test: Callable[[Any], bool] = lambda value: True
    nullable: bool = False
    label: str = ""
    """Said after the key: what the value means."""
    always_name_type: bool = False

    def problem(self, value: Any, prefix: str = "") -> str | None:
        """None when `value` keeps the rule, else the one line naming `prefix + key`."""
        word, typed = KINDS[self.kind]
        if (value is None and self.nullable) or (typed(value) and self.test(value)):
            return None
        named = not typed(value) or self.always_name_type
        requirement = f"{word} {self.requirement}" if named else self.requirement
        label = f" ({self.label})" if self.label else ""
        null = " (or null)" if self.nullable else ""
        return f"{prefix}{self.key}{label} must be {requirement.strip()}{null}, got {value!r}"


def at_least(bound: float) -> Callable[[Any], bool]:
    return lambda value: value >= bound


def positive(value: float) -> bool:
    return value > 0


def in_unit_interval(value: float) -> bool:
    return 0 <= value < 1


def subset_of(choices: Sequence[Any]) -> Callable[[Any], bool]:
    """A non-empty list drawn from `choices`."""
    return lambda v: isinstance(v, (list, tuple)) and len(v) > 0 and all(x in choices for x in v)


def choice(key: str, choices: Sequence[Any], nullable: bool = False) -> Rule:
    return Rule(key, "choice", f"one of {list(choices)}", lambda v: v in choices, nullable)


def lookup(values: Mapping[str, Any], key: str) -> Any:
    """`values["optim"]["lr"]` (or `values["optim.lr"]`) for `optim.lr`; ABSENT if missing."""
    if key in values:
        return values[key]
    value: Any = values
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return ABSENT
        value = value[part]
    return value


def check_rules(rules: Sequence[Rule], values: Mapping[str, Any], prefix: str) -> None:
    """Raise a `UsageError` for the first value in `values` that breaks one of `rules`."""
    for rule in rules:
        value = lookup(values, rule.key)
        problem = None if value is ABSENT else rule.problem(value, prefix)
        if problem:
            raise UsageError(problem)


class Declared:
    """A class whose config values obey its `rules` (and its own `check_values`)."""

    rules: tuple[Rule, ...] = ()
    config_prefix = ""
    """How its keys are named when a Python caller builds it (`model.`, `data.`)."""

    @classmethod
    def check_values(cls, values: Mapping[str, Any], prefix: str | None = None) -> None:
        """Subclasses add checks that relate several values."""
        check_rules(cls.rules, values, cls.config_prefix if prefix is None else prefix)
