"""The runs of a sweep folder: each run folder's overrides (what was swept), its record and,
where `python -m ganlab.evaluate` scored its last checkpoint, those metrics."""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import ListConfig, OmegaConf

from ganlab.run.record import UnreadableRecord, read_record

INCOMPLETE = "incomplete"
"""The status of a run folder without `metrics.json`: still running, or killed."""
EVALUATION = Path("evaluation") / "last" / "metrics.json"
"""Where `python -m ganlab.evaluate ckpt_path=RUN/checkpoints/last.ckpt` writes by default."""


@dataclass
class Run:
    name: str
    path: Path
    overrides: dict[str, str]
    record: dict[str, Any] | None
    label: str = field(default="")
    evaluation: dict[str, float | None] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.record["status"] if self.record else INCOMPLETE

    @property
    def metrics(self) -> dict[str, float | None]:
        """The training record's final metrics, then the evaluation's (fid, kid_mean, …)."""
        recorded = self.record.get("metrics", {}) if self.record else {}
        return {**recorded, **self.evaluation}

    def final_samples(self) -> Path | None:
        """The last fixed-noise grid the run wrote (names sort by epoch and step)."""
        grids = sorted((self.path / "samples").glob("*.png"))
        return grids[-1] if grids else None


@dataclass
class Unreadable:
    """A run folder the report leaves out, and why."""

    name: str
    reason: str


def read_evaluation(run_dir: Path) -> dict[str, float | None]:
    """The metrics the evaluation of the run's last checkpoint wrote; {} when it has none;
    `UnreadableRecord` when the file is there but is not an evaluation's."""
    path = run_dir / EVALUATION
    if not path.is_file():
        return {}
    try:
        evaluation = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnreadableRecord(f"{path} is not readable JSON ({error})") from None
    metrics = evaluation.get("metrics", {}) if isinstance(evaluation, dict) else None
    if not isinstance(metrics, dict):
        raise UnreadableRecord(f"{path} is not an evaluation's metrics.json")
    return dict(metrics)


def natural_key(text: str) -> tuple:
    """'10' after '9': job folders are numbered."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def read_overrides(run_dir: Path) -> dict[str, str]:
    """The job's command-line and sweep overrides as key -> value text (`+key` as `key`)."""
    path = run_dir / ".hydra" / "overrides.yaml"
    try:
        lines = OmegaConf.load(path) or []
    except Exception as error:  # YAML syntax, undecodable bytes: OmegaConf raises many kinds
        raise UnreadableRecord(f"{path} is not readable YAML ({type(error).__name__})") from None
    if not isinstance(lines, ListConfig | list):
        raise UnreadableRecord(f"{path} is not a list of key=value overrides")
    overrides = {}
    # the text as given: an interpolation (`${paths.output_dir}`) is not this config's to resolve
    for line in lines if isinstance(lines, list) else OmegaConf.to_container(lines):
        key, _, value = str(line).partition("=")
        overrides[key.lstrip("+~")] = value
    return overrides


def find_runs(sweep_dir: Path) -> tuple[list[Run], list[Unreadable]]:
    """Every Hydra run folder (one holding `.hydra/overrides.yaml`) under `sweep_dir`, in job
    order; `sweep_dir` itself when it is a single run folder. A folder whose overrides or
    record cannot be read is listed apart, with the reason, and the others still count."""
    folders = sorted(
        (p.parent.parent for p in sweep_dir.rglob(".hydra/overrides.yaml")),
        key=lambda p: natural_key(str(p.relative_to(sweep_dir))),
    )
    runs, unreadable = [], []
    for folder in folders:
        name = str(folder.relative_to(sweep_dir))
        name = folder.name if name == "." else name
        try:
            overrides, record = read_overrides(folder), read_record(folder)
            runs.append(Run(name, folder, overrides, record, evaluation=read_evaluation(folder)))
        except UnreadableRecord as error:
            unreadable.append(Unreadable(name, str(error)))
    return runs, unreadable


def swept_keys(runs: list[Run]) -> list[str]:
    """The override keys whose value differs between runs, in the order they were given."""
    keys: list[str] = []
    for run in runs:
        keys += [key for key in run.overrides if key not in keys]
    return [key for key in keys if len({run.overrides.get(key) for run in runs}) > 1]


def common_overrides(runs: list[Run], swept: list[str]) -> list[str]:
    """The overrides every run shares (the sweep's fixed settings)."""
    if not runs:
        return []
    first = runs[0].overrides
    return [f"{key}={value}" for key, value in first.items() if key not in swept]


def label_runs(runs: list[Run], swept: list[str]) -> None:
    """A short legend label per run from its swept values, e.g. `lr=0.001 latent_dim=10`."""
    short = {key: key.rsplit(".", 1)[-1] for key in swept}
    if len(set(short.values())) < len(short):
        short = {key: key for key in swept}
    for run in runs:
        parts = [f"{short[key]}={run.overrides.get(key, '-')}" for key in swept]
        run.label = " ".join(parts) or run.name
