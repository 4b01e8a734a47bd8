"""Seconds per generator update of several training configs, each a few steps under the Trainer,
one after another and round after round in one process, so that every config sees the machine
state the others saw and the ratios hold where absolute times drift.

    python scripts/time_configs.py --data-root ../shared/data --recipes   # every conf/recipe/
    python scripts/time_configs.py --data-root ../shared/data model.diagnostics=true \\
        model.diagnostics=false

Each CONFIG is one argument of space-separated `ganlab.train` overrides ("" for the default
job); the first is the one the others are divided by. A step is timed from one batch start to
the next (the step, logging, callbacks and the next batch's loading) after untimed warm-up
steps. The median is the per-step cost; the mean also spreads what runs once per epoch
(sample grids, class coverage, checkpoints) over the steps.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from lightning.pytorch import Callback, LightningModule, Trainer

from ganlab.run.config import CONF_DIR
from ganlab.run.fit import train

NAMES = sorted(path.stem for path in Path(CONF_DIR).glob("recipe/*.yaml"))
RECIPES = tuple(f"+recipe={name}" for name in sorted(NAMES, key=lambda name: name != "default"))
"""`--recipes`: every recipe of conf/recipe/ (the group `+recipe=` chooses from), default first."""


class StepTimer(Callback):
    """Seconds from each batch start to the next, once `warmup` generator updates are done."""

    def __init__(self, warmup: int):
        self.warmup, self.times, self.started = warmup, [], None

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int
    ) -> None:
        now = time.perf_counter()
        if self.started is not None and trainer.global_step > self.warmup:
            self.times.append(now - self.started)
        self.started = now


def step_times(configs: list[str], args: argparse.Namespace) -> dict[str, list[float]]:
    """Per config, its timed steps over all rounds (each round a fresh run of each config)."""
    times: dict[str, list[float]] = {config: [] for config in configs}
    common = [f"data.root={args.data_root}", "data.splits=[test]"]
    common += [f"data.batch_size={args.batch}", "trainer.max_epochs=-1", "seed=1"]
    common += [f"trainer.max_steps={args.warmup + args.steps + 1}"]
    common += ["trainer.enable_progress_bar=false"]
    with tempfile.TemporaryDirectory(prefix="ganlab-time-configs-") as tmp:
        for round_ in range(args.rounds):
            for index, config in enumerate(configs):
                timer = StepTimer(args.warmup)
                out = f"paths.output_dir={Path(tmp) / f'{index}-{round_}'}"
                with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
                    cfg = compose("train", overrides=[*common, *config.split(), out])
                train(cfg, [timer])
                times[config] += timer.times
    return times


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("configs", nargs="*", metavar="CONFIG", help="overrides of one run each")
    parser.add_argument("--recipes", action="store_true", help="time every recipe")
    parser.add_argument("--data-root", default="data", help="holds MNIST/raw (its test split)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per config and round")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    configs = list(dict.fromkeys([*args.configs, *(RECIPES if args.recipes else ())]))
    if not configs:
        parser.error("name at least one CONFIG, or --recipes")
    times = step_times(configs, args)
    first = statistics.median(times[configs[0]]), statistics.mean(times[configs[0]])
    print("| config | s/update (median) | ÷ first | s/update (mean) | ÷ first | steps |")
    print("|---|---:|---:|---:|---:|---:|")
    for config, seconds in times.items():
        median, mean = statistics.median(seconds), statistics.mean(seconds)
        print(
            f"| {config or '(default)'} | {median:.3f} | {median / first[0]:.2f} | {mean:.3f} "
            f"| {mean / first[1]:.2f} | {len(seconds)} |"
        )
    return times


if __name__ == "__main__":
    main()
