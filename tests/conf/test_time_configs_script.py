"""scripts/time_configs.py: several training configs timed round after round in one process
(the recipes' step-time column, the cost of the health signals)."""

import re
import runpy

import pytest

from tests.helpers import REPO

SCRIPT = runpy.run_path(str(REPO / "scripts" / "time_configs.py"))


def test_recipes_are_every_recipe_default_first():
    on_disk = {path.stem for path in (REPO / "conf" / "recipe").glob("*.yaml")}
    assert SCRIPT["RECIPES"][0] == "+recipe=default"
    assert {r.removeprefix("+recipe=") for r in SCRIPT["RECIPES"]} == on_disk


@pytest.mark.usefixtures("one_thread")
def test_each_config_is_timed_in_every_round(mnist_root, capsys):
    configs = ["model.diagnostics=true", "model.diagnostics=false data.limit=32"]
    argv = ["--data-root", str(mnist_root), "--batch", "8", "--steps", "2", "--warmup", "1"]
    times = SCRIPT["main"]([*argv, "--rounds", "2", *configs])
    assert list(times) == configs
    assert [len(seconds) for seconds in times.values()] == [4, 4]  # 2 steps x 2 rounds
    assert all(s > 0 for seconds in times.values() for s in seconds)
    printed = capsys.readouterr().out
    assert re.search(r"^\| model.diagnostics=true \| \d+\.\d{3} \| 1\.00 \|", printed, re.M)
    assert re.search(r"^\| model.diagnostics=false data.limit=32 \| \d+\.\d{3} \|", printed, re.M)


def test_a_config_is_needed():
    with pytest.raises(SystemExit):
        SCRIPT["main"](["--data-root", "data"])
