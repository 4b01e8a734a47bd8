"""Outputs ganlab did not create are never replaced, and a full disk during a run or an
output write is one line and exit 1 with the previous file intact (in-process CLIs)."""

import json

import numpy as np
import pytest
import torch

from ganlab import evaluate as evaluate_entry
from ganlab import generate as generate_entry
from tests.helpers import TINY
from tests.helpers.inprocess import SMALL, cli_in_process, train_in_process
from tests.helpers.small_disk import small_disk

pytestmark = pytest.mark.fault

QUICK_EVAL = ["n=8", "real_n=16", "batch_size=16", "metrics=[nn_l1]"]


def generate_cli(*args, capsys):
    return cli_in_process(generate_entry.main, "ganlab.generate", *args, capsys=capsys)


def evaluate_cli(*args, capsys):
    return cli_in_process(evaluate_entry.main, "ganlab.evaluate", *args, capsys=capsys)


def one_line_error(result, code, start):
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith(f"ganlab: error: {start}"), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_generate_refuses_an_existing_out_unless_overwrite(dcgan_run, tmp_path, capsys):
    ckpt = f"ckpt_path={dcgan_run}/checkpoints/last.ckpt"
    out = tmp_path / "s.npz"
    out.write_bytes(b"someone else's file")
    one_line_error(
        generate_cli(ckpt, "n=8", f"out={out}", capsys=capsys),
        2,
        f"out={out} already exists: choose another out=, or replace it with overwrite=true",
    )
    assert out.read_bytes() == b"someone else's file" and not out.with_suffix(".png").exists()

    grid = tmp_path / "s.png"
    out.unlink()
    grid.write_bytes(b"mine")
    one_line_error(generate_cli(ckpt, "n=8", f"out={out}", capsys=capsys), 2, f"grid={grid}")
    assert grid.read_bytes() == b"mine" and not out.exists()

    assert generate_cli(ckpt, "n=8", f"out={out}", "overwrite=true", capsys=capsys).returncode == 0
    with np.load(out) as data:
        assert data["arr_0"].shape[0] == 8


def test_generate_onto_a_full_disk_keeps_the_previous_samples(dcgan_run, tmp_path, capsys):
    ckpt = f"ckpt_path={dcgan_run}/checkpoints/last.ckpt"
    with small_disk(tmp_path / "disk", size_kib=256) as disk:
        out = disk.path / "s.npz"
        assert generate_cli(ckpt, "n=4", f"out={out}", capsys=capsys).returncode == 0
        before = out.read_bytes()
        disk.fill()
        result = generate_cli(ckpt, "n=64", f"out={out}", "overwrite=true", capsys=capsys)
        one_line_error(result, 1, f"cannot write samples {out} (No space left on device)")
        assert out.read_bytes() == before
        assert not [p for p in disk.path.iterdir() if p.suffix == ".tmp"]


def test_evaluate_never_replaces_a_training_record(dcgan_run, mnist_root, capsys):
    record = (dcgan_run / "metrics.json").read_bytes()
    for overwrite in ("false", "true"):
        result = evaluate_cli(
            f"ckpt_path={dcgan_run}/checkpoints/last.ckpt",
            f"data.root={mnist_root}",
            *QUICK_EVAL,
            f"out={dcgan_run}",
            f"overwrite={overwrite}",
            capsys=capsys,
        )
        one_line_error(result, 2, f"out={dcgan_run} is a training run folder")
    assert (dcgan_run / "metrics.json").read_bytes() == record
    assert not (dcgan_run / "samples.png").exists()


def test_evaluate_refuses_an_earlier_evaluation_unless_overwrite(
    dcgan_run, mnist_root, tmp_path, capsys
):
    args = [f"ckpt_path={dcgan_run}/checkpoints/last.ckpt", f"data.root={mnist_root}",
            *QUICK_EVAL, f"out={tmp_path}"]  # fmt: skip
    (tmp_path / "metrics.json").write_text('{"fid": 1.0}')
    one_line_error(
        evaluate_cli(*args, capsys=capsys), 2, f"out={tmp_path} already holds metrics.json"
    )
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"fid": 1.0}
    assert evaluate_cli(*args, "overwrite=true", capsys=capsys).returncode == 0
    assert "nn_l1" in json.loads((tmp_path / "metrics.json").read_text())["metrics"]


@pytest.mark.parametrize("leave", [0, 200_000], ids=["full", "fills_during_the_save"])
def test_a_disk_that_fills_mid_run_stops_it_with_one_line(mnist_root, tmp_path, capsys, leave):
    """The checkpoint of step 2 meets a full disk: one line, exit 1, step 1's checkpoint
    intact and loadable (before, a disk that filled during the save gave torch's
    `RuntimeError: … unexpected pos …` traceback)."""
    with small_disk(tmp_path / "disk", size_kib=4096) as disk:
        run_dir = disk.path / "run"
        result = train_in_process(
            f"data.root={mnist_root}",
            "data.splits=[test]",
            f"hydra.run.dir={run_dir}",
            *TINY,
            *SMALL,
            "logger=none",
            "trainer.max_steps=4",
            "callbacks.last_checkpoint.every_n_train_steps=1",
            "callbacks.last_checkpoint.every_n_epochs=null",
            "+callbacks.fill._target_=tests.helpers.faults.FillDiskAt",
            "+callbacks.fill.step=2",
            f"+callbacks.fill.path={disk.path}",
            f"+callbacks.fill.leave={leave}",
            capsys=capsys,
        )
        last = run_dir / "checkpoints" / "last.ckpt"
        one_line_error(result, 1, f"cannot write checkpoint {last} (No space left on device)")
        assert "continue with resume=true" in result.stderr
        assert torch.load(last, weights_only=True)["global_step"] == 1
