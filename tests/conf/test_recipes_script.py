"""scripts/recipes_study.sh: every recipe trained once, the default and the best recipe over
three seeds, each run evaluated on the protocol's counts, one report (DRY_RUN=1 prints the
commands without running them)."""

import os
import shlex
import subprocess
from pathlib import Path

from tests.helpers import REPO
from tests.helpers.studies import composed

SCRIPT = REPO / "scripts" / "recipes_study.sh"
RECIPES = {p.stem for p in (REPO / "conf" / "recipe").glob("*.yaml")}


def commands(out: Path, **env: str) -> list[list[str]]:
    env = {**os.environ, "DRY_RUN": "1", "OUT": str(out), "DATA": "/d", "PY": "python", **env}
    result = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, check=True
    )
    return [shlex.split(line[2:]) for line in result.stdout.splitlines() if line.startswith("+ ")]


def test_every_recipe_once_and_the_default_and_best_over_three_seeds(tmp_path):
    lines = commands(tmp_path, BEST="ns_r1", STEPS="500", N="300")
    trains = [line[3:] for line in lines if line[:3] == ["python", "-m", "ganlab.train"]]
    evaluations = [line[3:] for line in lines if line[:3] == ["python", "-m", "ganlab.evaluate"]]
    seeds: dict[str, set[int]] = {}
    for overrides in trains:
        cfg = composed(*overrides)
        recipe = cfg.hydra.runtime.choices.recipe
        seeds.setdefault(recipe, set()).add(cfg.seed)
        assert (cfg.trainer.max_steps, cfg.data.batch_size, cfg.data.root) == (500, 64, "/d")
        assert cfg.hydra.run.dir == f"{tmp_path}/{recipe}/seed{cfg.seed}"
    assert set(seeds) == RECIPES
    assert seeds.pop("default") == seeds.pop("ns_r1") == {1, 2, 3}
    assert all(found == {1} for found in seeds.values())
    assert len(evaluations) == len(trains) and all("n=300" in e for e in evaluations)
    # every recipe against the same real images: the whole test split, never a recipe's
    # data.limit (the checkpoint's data module would give small_data only its 1,000 images)
    assert all({"real=mnist", "data.splits=[test]"} <= set(e) for e in evaluations)
    assert lines[-1] == ["python", "-m", "ganlab.report", str(tmp_path)]
