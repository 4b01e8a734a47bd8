"""scripts/run_presets.sh (make presets-gpu, make presets-mnist): the commands it would run,
printed by DRY_RUN=1, train every preset of its set with a config that composes, evaluate each
run, and build one report; a rerun skips what is done and resumes what was interrupted."""

import os
import shlex
import subprocess
from pathlib import Path

from hydra import compose, initialize_config_dir

from ganlab.run.config import CONF_DIR
from tests.helpers import REPO

SCRIPT = REPO / "scripts" / "run_presets.sh"
FACE_AND_BRICK_PRESETS = {
    "book_dcgan_bricks",
    "book_wgan_gp_celeba",
    "book_cgan_celeba_blond",
    "rdfia_dcgan_celeba",
}
VARIANTS = {"baseline", "lr_1e-3", "beta1_0.9", "latent_10", "latent_1000"}
MNIST_PRESETS = {p.stem for p in (Path(CONF_DIR) / "experiment").glob("*_mnist.yaml")}


def commands(out: Path, **settings: str) -> list[list[str]]:
    env = {**os.environ, "DRY_RUN": "1", "OUT": str(out), "DATA": "/datasets", "PY": "python"}
    result = subprocess.run(
        ["bash", str(SCRIPT), "seed=7"],
        env={**env, **settings},
        capture_output=True,
        text=True,
        check=True,
    )
    return [shlex.split(line[2:]) for line in result.stdout.splitlines() if line.startswith("+ ")]


def by_entry_point(lines: list[list[str]], module: str) -> list[list[str]]:
    return [line[3:] for line in lines if line[:3] == ["python", "-m", module]]


def test_every_face_and_brick_preset_is_trained_evaluated_and_reported(tmp_path):
    lines = commands(tmp_path)
    trains = by_entry_point(lines, "ganlab.train")
    evaluations = by_entry_point(lines, "ganlab.evaluate")
    assert len(trains) == len(evaluations) == 8
    assert by_entry_point(lines, "ganlab.report") == [[str(tmp_path)]]
    experiments, variants = set(), set()
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        for overrides in trains:
            cfg = compose("train", overrides=overrides, return_hydra_config=True)
            experiments.add(cfg.hydra.runtime.choices.experiment)
            variants.add(cfg.hydra.runtime.choices.get("rdfia_variant"))
            assert cfg.trainer.accelerator == "gpu" and cfg.data.root == "/datasets"
            assert cfg.seed == 7 and cfg.hydra.run.dir.startswith(str(tmp_path))
    assert experiments == FACE_AND_BRICK_PRESETS
    assert variants == VARIANTS | {None}
    for overrides in evaluations:
        assert overrides[0].startswith(f"ckpt_path={tmp_path}/")
        assert overrides[0].endswith("/checkpoints/last.ckpt") and "n=auto" in overrides


def test_a_rerun_skips_finished_work_and_resumes_an_interrupted_run(tmp_path):
    done = tmp_path / "book_dcgan_bricks"
    (done / "evaluation" / "last").mkdir(parents=True)
    (done / "metrics.json").write_text('{"status": "completed"}')
    (done / "evaluation" / "last" / "metrics.json").write_text("{}")
    (tmp_path / "book_wgan_gp_celeba" / "checkpoints").mkdir(parents=True)
    lines = commands(tmp_path)
    trains = by_entry_point(lines, "ganlab.train")
    assert len(trains) == 7 and len(by_entry_point(lines, "ganlab.evaluate")) == 7
    assert not any("experiment=book_dcgan_bricks" in line for line in trains)
    (resumed,) = [line for line in trains if "experiment=book_wgan_gp_celeba" in line]
    assert "resume=true" in resumed


def test_the_mnist_set_is_every_mnist_preset_and_the_rdfia_mnist_study(tmp_path):
    lines = commands(tmp_path, SET="mnist", TRAINER="cpu", DEVICE="cpu")
    trains = by_entry_point(lines, "ganlab.train")
    assert len(by_entry_point(lines, "ganlab.evaluate")) == len(trains)
    runs = set()
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        for overrides in trains:
            cfg = compose("train", overrides=overrides, return_hydra_config=True)
            assert cfg.trainer.accelerator == "cpu" and cfg.seed == 7
            choices = cfg.hydra.runtime.choices
            runs.add((choices.experiment, choices.get("rdfia_variant")))
    assert {experiment for experiment, _ in runs} == MNIST_PRESETS
    assert {v for e, v in runs if e == "rdfia_dcgan_mnist"} == VARIANTS


def test_an_unknown_set_is_refused_with_the_choices(tmp_path):
    env = {**os.environ, "DRY_RUN": "1", "OUT": str(tmp_path), "SET": "faces"}
    result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True)
    assert result.returncode == 2 and not result.stdout
    assert "SET=faces_and_bricks or SET=mnist" in result.stderr
