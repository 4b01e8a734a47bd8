"""trainer=ddp from the Hydra CLI on CPU: two gloo processes, Lightning re-launching the
script under Hydra, one run folder written by rank 0."""

from pathlib import Path

import pytest
import torch

from ganlab.run.checkpoint import load_module
from ganlab.run.config import CONF_DIR
from tests.helpers import run_cli

PRESETS = {p.stem for p in (Path(CONF_DIR) / "model").glob("*.yaml")}

RUNS = {
    # the simultaneous update's two backward passes from one forward
    "dcgan_simultaneous": ["model=dcgan", "model.update=simultaneous"],
    # the gradient penalty's double backward (needs the WGAN-GP preset)
    "wgan_gp": [
        "model=wgan_gp",
        "model.n_critic=2",
        "model.net.generator.base_channels=8",
        "model.net.discriminator.base_channels=8",
        "data.image_size=32",
        "data.batch_size=4",
    ],
    # labels through both networks, alternating updates (needs the cDCGAN preset); the EMA
    # generator's parameters are compared across ranks with the others
    "cdcgan": ["model=cdcgan", "model.ema.decay=0.9"],
}


@pytest.fixture(scope="module", params=list(RUNS))
def ddp_run(request, mnist_root, tmp_path_factory):
    preset = RUNS[request.param][0].removeprefix("model=")
    if preset not in PRESETS:
        pytest.skip(f"model={preset} is not in this checkout")
    cwd = tmp_path_factory.mktemp(f"ddp_{request.param}")
    probe = cwd / "probe"
    result = run_cli(
        "ganlab.train",
        # 64 images, 2 ranks, 8 real images per step and rank: the 4 steps are one epoch
        "data.batch_size=8",
        *RUNS[request.param],
        "trainer=ddp",
        "trainer.accelerator=cpu",
        "trainer.devices=2",
        "trainer.precision=32-true",
        "trainer.max_steps=4",
        "trainer.enable_progress_bar=false",
        "trainer.enable_model_summary=false",
        "trainer.log_every_n_steps=1",
        f"data.root={mnist_root}",
        "data.splits=[test]",
        "+callbacks.probe._target_=tests.helpers.ddp_probe.RecordRank",
        f"+callbacks.probe.dirpath={probe}",
        cwd=cwd,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [torch.load(probe / f"rank{r}.pt", weights_only=False) for r in (0, 1)]
    return cwd, ranks


def test_one_run_folder_written_once(ddp_run):
    cwd, ranks = ddp_run
    assert [r["world_size"] for r in ranks] == [2, 2]
    runs = list((cwd / "outputs" / "train" / "runs").iterdir())
    assert len(runs) == 1, runs  # the re-launched rank 1 got rank 0's hydra.run.dir
    run = runs[0]
    assert (run / ".hydra" / "config.yaml").is_file()
    assert len(list(run.rglob("events.out.tfevents.*"))) == 1
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["last.ckpt"]
    assert [p.name for p in (run / "samples").iterdir()] == ["epoch_000_step_000004.png"]


def test_ranks_train_on_different_samples_with_their_own_noise(ddp_run):
    _, (rank0, rank1) = ddp_run
    first, second = rank0["images"].flatten(1), rank1["images"].flatten(1)
    assert len(first) == len(second) > 0
    shared = (first[:, None, :] == second[None, :, :]).all(-1)
    assert not shared.any(), "both ranks saw the same image in one epoch"
    assert not torch.equal(rank0["rng_states"][0], rank1["rng_states"][0])


def test_checkpoint_holds_the_weights_both_ranks_agree_on(ddp_run):
    cwd, (rank0, rank1) = ddp_run
    (checkpoint,) = (cwd / "outputs").rglob("last.ckpt")
    model = load_module(str(checkpoint))
    assert torch.load(checkpoint, weights_only=True)["global_step"] == 4
    for name, value in model.named_parameters():
        assert torch.equal(value, rank0["parameters"][name]), name
        assert torch.equal(value, rank1["parameters"][name]), name
