"""What each recipe's step costs against the default's: `python -m ganlab.bench.recipes
--data-root DIR`.

Every recipe of conf/recipe/ trains a few generator updates under the Trainer (its callbacks,
logger and data loading included), one recipe after another, round after round, in one
process: each recipe sees the machine state the others saw, so the ratios stay meaningful
where absolute times drift. A step is timed from one batch start to the next, after untimed
warm-up steps. Prints each recipe's median seconds per generator update and its ratio to the
default's: the step-time column of the recipes study (docs/results.md#recipes).
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from lightning.pytorch import Callback, LightningModule, Trainer
from omegaconf import DictConfig

from ganlab.run.config import CONF_DIR
from ganlab.run.fit import train

RECIPES = tuple(sorted(path.stem for path in (Path(CONF_DIR) / "recipe").glob("*.yaml")))
"""Every recipe of conf/recipe/, the group `+recipe=` chooses from."""


class StepTimer(Callback):
    """Seconds from each batch start to the next, once `warmup` generator updates are done."""

    def __init__(self, warmup: int):
        self.warmup = warmup
        self.times: list[float] = []
        self.started: float | None = None

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int
    ) -> None:
        now = time.perf_counter()
        if self.started is not None and trainer.global_step > self.warmup:
            self.times.append(now - self.started)
        self.started = now


def compose_recipe(recipe: str, data_root: str, batch: int, steps: int, out: Path) -> DictConfig:
    overrides = [
        f"+recipe={recipe}",
        f"data.root={data_root}",
        "data.splits=[test]",
        f"data.batch_size={batch}",
        f"trainer.max_steps={steps}",
        "trainer.max_epochs=-1",
        "trainer.enable_progress_bar=false",
        f"paths.output_dir={out}",
        "seed=1",
    ]
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("train", overrides=overrides)


def step_times(
    recipes: list[str], data_root: str, batch: int, steps: int, warmup: int, rounds: int
) -> dict[str, list[float]]:
    """Per recipe, its timed steps over all rounds (each round a fresh run of each recipe)."""
    times: dict[str, list[float]] = {recipe: [] for recipe in recipes}
    with tempfile.TemporaryDirectory(prefix="ganlab-bench-recipes-") as tmp:
        for round_ in range(rounds):
            for recipe in recipes:
                timer = StepTimer(warmup)
                out = Path(tmp) / f"{recipe}-{round_}"
                train(compose_recipe(recipe, data_root, batch, warmup + steps + 1, out), [timer])
                times[recipe] += timer.times
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ganlab.bench.recipes", description=__doc__)
    parser.add_argument("--data-root", default="data", help="holds MNIST/raw")
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=RECIPES)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per recipe per round")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    recipes = ["default", *(r for r in args.recipes if r != "default")]
    times = step_times(recipes, args.data_root, args.batch, args.steps, args.warmup, args.rounds)
    medians = {recipe: statistics.median(values) for recipe, values in times.items()}
    print("| recipe | s / generator update (median) | steps timed | ÷ default |")
    print("|---|---:|---:|---:|")
    for recipe, median in medians.items():
        ratio = median / medians["default"]
        print(f"| {recipe} | {median:.3f} | {len(times[recipe])} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
