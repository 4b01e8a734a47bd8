"""The health timeline of a finished run: `python -m ganlab.diagnose RUN_DIR`.

Reads the signals the run logged (TensorBoard events, else the CSV logger's metrics.csv),
gives each window of steps a verdict (healthy, discriminator dominates, mode collapse,
vanishing generator gradient, divergence) and prints the timeline with the overrides to try.
The rules and their thresholds: docs/diagnosis.md.
"""

import argparse
import sys
from pathlib import Path

from omegaconf import OmegaConf

from ganlab.callbacks.run_summary import flatten
from ganlab.diagnosis.history import read_signals
from ganlab.diagnosis.rules import NS_TRAITS, windows
from ganlab.diagnosis.timeline import Phase, describe, timeline
from ganlab.errors import UsageError
from ganlab.losses import LOSSES
from ganlab.run.cli import run_reporting_errors
from ganlab.run.record import UnreadableRecord, read_record

DEFAULT_WINDOW = 200
CONFIG = Path(".hydra") / "config.yaml"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ganlab.diagnose",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", type=Path, help="a training run's folder")
    parser.add_argument(
        "--window",
        type=int,
        help="steps per verdict (default: the run's callbacks.diagnosis.window, else 200)",
    )
    return parser.parse_args(argv)


def run_settings(run_dir: Path) -> dict:
    """The run's config under override names (`model.optim.lr`), unresolved: no
    interpolation needs Hydra's runtime to read the numbers the remedies use."""
    path = run_dir / CONFIG
    if not path.is_file():
        return {}
    config = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    return {
        key: value
        for group in ("model", "data")
        if isinstance(config.get(group), dict)
        for key, value in flatten(config[group], group).items()
    }


def readable_record(run_dir: Path) -> dict:
    """The run's record; an unreadable one (broken, another tool's) is said and left out: the
    diagnosis reads the logged signals, not the record."""
    try:
        return read_record(run_dir) or {}
    except UnreadableRecord as error:
        print(f"ganlab.diagnose: note: {error}; diagnosing from the logs alone", file=sys.stderr)
        return {}


def window_of(run_dir: Path, record: dict, given: int | None) -> int:
    if given is not None:
        if given < 1:
            raise UsageError(f"--window must be at least 1 step, got {given}")
        return given
    if isinstance(record.get("diagnosis"), dict) and record["diagnosis"].get("window"):
        return int(record["diagnosis"]["window"])
    config = run_dir / CONFIG
    if config.is_file():
        window = OmegaConf.select(OmegaConf.load(config), "callbacks.diagnosis.window")
        if isinstance(window, int):
            return window
    return DEFAULT_WINDOW


def diagnose(args: argparse.Namespace) -> list[Phase]:
    run_dir = args.run_dir
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir} is not a folder: give a training run's folder")
    series = read_signals(run_dir)
    if not series:
        raise UsageError(
            f"no logged signals under {run_dir} (no TensorBoard events or metrics.csv with "
            "d_loss/g_loss): give a run folder trained with logger=tensorboard or logger=csv"
        )
    settings, record = run_settings(run_dir), readable_record(run_dir)
    size = window_of(run_dir, record, args.window)
    return timeline(windows(series, size), settings=settings, loss=loss_of(record, settings))


def loss_of(record: dict, settings: dict) -> dict[str, bool]:
    """What the run's module said its loss is (its `metrics.json`), else what `model.loss`
    names (a run written before the module said so)."""
    block = record.get("diagnosis")
    said = block.get("loss") if isinstance(block, dict) else None
    if isinstance(said, dict) and all(isinstance(v, bool) for v in said.values()):
        return said
    loss = LOSSES.get(str(settings.get("model.loss") or "ns"))
    return loss.traits() if loss is not None else NS_TRAITS


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    phases = run_reporting_errors(diagnose, args)
    print("\n".join(describe(phase) for phase in phases))


if __name__ == "__main__":
    main()
