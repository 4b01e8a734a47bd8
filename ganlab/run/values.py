"""What a config value must be, declared once by the class that takes it.

A procedure, data module or callback lists its `rules` (a `Rule` per constructor argument that
has a requirement). The constructor checks them for callers that build it from Python, and
`ganlab.run.rules.check_config` checks the same rules on the composed config before any data
is prepared, naming the full config key (`model.n_critic must be an integer >= 1, got 0`).
A rule whose key is absent is skipped: it checks exactly what the caller gave.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ganlab.errors import UsageError

ABSENT = object()
TYPE_WORDS = {"integer": "an integer", "number": "a number", "boolean": "true or false"}


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "integer": is_int,
    "number": is_number,
    "boolean": lambda value: isinstance(value, bool),
    "choice": lambda value: True,
}


def anything(value: Any) -> bool:
    return True


@dataclass(frozen=True)
class Rule:
    key: str
    """Relative to the owner's config node: `n_critic`, `optim.lr`."""
    kind: str
    """'integer', 'number', 'boolean' or 'choice' (any type; `test` decides)."""
    requirement: str = ""
    test: Callable[[Any], bool] = anything
    nullable: bool = False
    label: str = ""
    """Said after the key: what the value means."""
    always_name_type: bool = False

    def problem(self, value: Any, prefix: str = "") -> str | None:
        """None when `value` keeps the rule, else the one-line message naming `prefix + key`."""
        if value is None and self.nullable:
            return None
        typed = TYPE_TESTS[self.kind](value)
        if typed and self.test(value):
            return None
        named = not typed or self.always_name_type
        requirement = f"{TYPE_WORDS[self.kind]} {self.requirement}" if named else self.requirement
        null = " (or null)" if self.nullable else ""
        label = f" ({self.label})" if self.label else ""
        return f"{prefix}{self.key}{label} must be {requirement.strip()}{null}, got {value!r}"


def at_least(bound: float) -> Callable[[Any], bool]:
    return lambda value: value >= bound


def positive(value: float) -> bool:
    return value > 0


def in_unit_interval(value: float) -> bool:
    return 0 <= value < 1


def subset_of(choices: Sequence[Any]) -> Callable[[Any], bool]:
    """A non-empty list drawn from `choices`."""
    return lambda value: (
        isinstance(value, (list, tuple)) and len(value) > 0 and all(v in choices for v in value)
    )


def choice(key: str, choices: Sequence[Any], nullable: bool = False) -> Rule:
    """`key must be one of [...]` (or null)."""
    return Rule(key, "choice", f"one of {list(choices)}", lambda v: v in choices, nullable)


def lookup(values: Mapping[str, Any], key: str) -> Any:
    """`values["optim"]["lr"]` for key `optim.lr` (or `values["optim.lr"]` where a mapping
    takes dotted keys, as a config does); ABSENT when any part is missing."""
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
        if value is ABSENT:
            continue
        problem = rule.problem(value, prefix)
        if problem:
            raise UsageError(problem)


class Declared:
    """A class whose config values obey its `rules` (and its own `check_values`)."""

    rules: tuple[Rule, ...] = ()
    config_prefix = ""
    """How its keys are named when a Python caller builds it (`model.`, `data.`)."""

    @classmethod
    def check_values(cls, values: Mapping[str, Any], prefix: str | None = None) -> None:
        """Raise a `UsageError` for the first value that breaks a rule; subclasses add checks
        that relate several values."""
        check_rules(cls.rules, values, cls.config_prefix if prefix is None else prefix)
