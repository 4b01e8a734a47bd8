"""A run's timeline: consecutive windows with the same verdict merged into phases, each with
the steps where it held, the numbers that showed it and the remedies to try."""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ganlab.diagnosis.remedies import remedies
from ganlab.diagnosis.rules import (
    HEALTHY,
    NS_TRAITS,
    PEAKED,
    LossTraits,
    Thresholds,
    Window,
    verdict,
)


@dataclass(frozen=True)
class Phase:
    """Steps `start`..`end` where one verdict held, with what showed it (its last window)."""

    start: int
    end: int
    verdict: str
    evidence: str
    remedies: list[str] = field(default_factory=list)

    def as_record(self) -> dict:
        return {
            "start_step": self.start,
            "end_step": self.end,
            "verdict": self.verdict,
            "evidence": self.evidence,
            "remedies": self.remedies,
        }


def timeline(
    windows_: list[Window],
    thresholds: Thresholds | None = None,
    settings: Mapping[str, object] | None = None,
    loss: LossTraits = NS_TRAITS,
) -> list[Phase]:
    """The windows' verdicts, consecutive equal ones merged into phases, each with the
    remedies for its verdict under the run's `settings` (see `ganlab.diagnosis.remedies`);
    `loss`: what the run's module says its loss is."""
    phases: list[Phase] = []
    settings = settings or {}
    peaks: dict[str, float] = {}
    for window in windows_:
        for signal in PEAKED:
            value = window.means.get(signal)
            if value is not None and math.isfinite(value):
                peaks[signal] = max(peaks.get(signal, 0.0), value)
        name, evidence = verdict(window, peaks, thresholds or Thresholds(), loss)
        start = phases.pop().start if phases and phases[-1].verdict == name else window.start
        phases.append(Phase(start, window.end, name, evidence, remedies(name, settings)))
    return phases


def summary(record: Mapping | None) -> str | None:
    """One line for a table from a `metrics.json` `diagnosis` block: the problems with their
    steps, or `healthy`; None without a diagnosis."""
    if not isinstance(record, Mapping) or not record.get("timeline"):
        return None
    problems = [p for p in record["timeline"] if p["verdict"] != HEALTHY]
    if not problems:
        return HEALTHY
    return "; ".join(f"{p['verdict']} {p['start_step']}-{p['end_step']}" for p in problems)


def describe(phase: Phase) -> str:
    """`steps A-B: verdict (evidence); try key=value …`."""
    text = f"steps {phase.start}-{phase.end}: {phase.verdict} ({phase.evidence})"
    return text + ("; try " + " ".join(phase.remedies) if phase.remedies else "")
