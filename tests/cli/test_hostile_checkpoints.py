"""Every entry point that opens a checkpoint treats it as data: a hostile file stops generate,
evaluate and train (`ckpt_path=`, `resume=true`) with one line and exit 2, its code never
runs and nothing is written; ganlab's own checkpoints, and ones naming a package the user
registered with `trusted_prefixes`, load, generate, evaluate and resume."""

import json

import pytest
import torch

from ganlab.evaluate import main as evaluate_main
from ganlab.generate import main as generate_main
from ganlab.run.folder import MARKER
from tests.helpers import TINY, run_cli
from tests.helpers.hostile import (
    HOSTILE,
    USER_PACKAGE,
    edited_copy,
    pickled_code,
    with_user_nets,
    write_user_package,
)
from tests.helpers.inprocess import cli_in_process, train_in_process

pytestmark = pytest.mark.fault

KINDS = ["pickle", "nested_in_net", "in_a_list", "trusted_module_then_foreign_function"]
KINDS += ["in_datamodule_hyper_parameters", "interpolation"]
NO_INCEPTION = "metrics=[domain_fid,nn_l1]"


def tree(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def hostile_run(kind, source, folder, marker):
    """A ganlab run folder `folder` whose checkpoints/last.ckpt is hostile in the way `kind`
    says (the file swapped after the run)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("")
    target = folder / "checkpoints" / "last.ckpt"
    if kind == "pickle":
        return pickled_code(target, marker)
    edit = next(h.edit for h in HOSTILE if h.id == kind)
    return edited_copy(source, target, edit, marker)


def train_args(mnist_root, run_dir, *extra):
    """The settings of the session's `dcgan_run` (tests/helpers/checkpoints.py)."""
    return [
        f"data.root={mnist_root}",
        "data.splits=[test]",
        f"hydra.run.dir={run_dir}",
        "logger=none",
        "seed=1",
        *TINY,
        *extra,
    ]


COMMANDS = {
    "generate": lambda ckpt, run, mnist: (generate_main, "ganlab.generate", [f"ckpt_path={ckpt}"]),
    "evaluate": lambda ckpt, run, mnist: (evaluate_main, "ganlab.evaluate", [f"ckpt_path={ckpt}"]),
    "train_ckpt_path": lambda ckpt, run, mnist: (
        None,
        "ganlab.train",
        train_args(mnist, run.parent / "new", f"ckpt_path={ckpt}", "trainer.max_steps=3"),
    ),
    "train_resume": lambda ckpt, run, mnist: (
        None,
        "ganlab.train",
        train_args(mnist, run, "resume=true", "trainer.max_steps=3"),
    ),
}


def run_command(name, ckpt, run, mnist_root, capsys, *extra):
    main, prog, args = COMMANDS[name](ckpt, run, mnist_root)
    if main is None:
        return train_in_process(*args, *extra, capsys=capsys)
    return cli_in_process(main, prog, *args, *extra, capsys=capsys)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_hostile_checkpoint_stops_every_entry_point(
    command, kind, dcgan_run, mnist_root, tmp_path, capsys
):
    marker = tmp_path / "code_ran"
    ckpt = hostile_run(kind, dcgan_run / "checkpoints" / "last.ckpt", tmp_path / "run", marker)
    before = tree(tmp_path)
    result = run_command(command, ckpt, tmp_path / "run", mnist_root, capsys)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"ganlab: error: {ckpt}"), result.stderr
    assert "refuse" in result.stderr
    assert result.stderr.count("\n") == 1, "one line"
    assert not marker.exists()
    assert tree(tmp_path) == before, "something was written"


def test_a_real_process_refuses_a_pickle_that_would_run_code(tmp_path):
    marker = tmp_path / "code_ran"
    ckpt = pickled_code(tmp_path / "run" / "checkpoints" / "last.ckpt", marker, "pickle")
    result = run_cli("ganlab.generate", f"ckpt_path={ckpt}")
    assert result.returncode == 2
    assert result.stderr.startswith(f"ganlab: error: {ckpt} is not a checkpoint torch can read")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not marker.exists()
    assert tree(tmp_path) == ["run", "run/checkpoints", "run/checkpoints/last.ckpt"]


def test_train_checkpoints_generate_evaluate_and_resume(dcgan_run, mnist_root, tmp_path, capsys):
    """Checkpoints written by the current ganlab still load everywhere."""
    ckpt = dcgan_run / "checkpoints" / "last.ckpt"
    out = tmp_path / "samples.npz"
    generated = cli_in_process(
        generate_main, "ganlab.generate", f"ckpt_path={ckpt}", "n=4", f"out={out}", capsys=capsys
    )
    assert generated.returncode == 0, generated.stderr
    assert out.is_file()

    evaluated = cli_in_process(
        evaluate_main,
        "ganlab.evaluate",
        f"ckpt_path={ckpt}",
        "n=8",
        "real_n=16",
        NO_INCEPTION,
        f"data.root={mnist_root}",
        f"out={tmp_path / 'eval'}",
        capsys=capsys,
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["global_step"] == 2

    run = tmp_path / "resumed"
    resumed = train_in_process(
        *train_args(mnist_root, run, f"ckpt_path={ckpt}", "trainer.max_steps=3"), capsys=capsys
    )
    assert resumed.returncode == 0, resumed.stderr
    assert torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 3


@pytest.fixture
def user_checkpoint(dcgan_run, tmp_path, monkeypatch):
    """dcgan_run's checkpoint with its networks under the user's own package (on sys.path)."""
    monkeypatch.syspath_prepend(str(write_user_package(tmp_path / "site")))
    source = dcgan_run / "checkpoints" / "last.ckpt"
    return edited_copy(source, tmp_path / "user" / "last.ckpt", with_user_nets, tmp_path / "m")


def test_a_registered_prefix_lets_generate_read_the_users_networks(
    user_checkpoint, tmp_path, capsys
):
    out = tmp_path / "s.npz"
    args = [f"ckpt_path={user_checkpoint}", "n=4", f"out={out}"]
    refused = cli_in_process(generate_main, "ganlab.generate", *args, capsys=capsys)
    assert refused.returncode == 2
    assert f"names '{USER_PACKAGE}.Generator' at hyper_parameters.net.generator" in refused.stderr
    assert "add its import prefix to trusted_prefixes" in refused.stderr
    assert not out.exists()

    prefix = f"trusted_prefixes=[{USER_PACKAGE}.]"
    loaded = cli_in_process(generate_main, "ganlab.generate", *args, prefix, capsys=capsys)
    assert loaded.returncode == 0, loaded.stderr
    assert out.is_file()


def test_a_registered_prefix_lets_train_resume_the_users_networks(
    user_checkpoint, mnist_root, tmp_path, capsys
):
    nets = [
        f"model.net.{n}._target_={USER_PACKAGE}.{n.title()}" for n in ("generator", "discriminator")
    ]
    run = tmp_path / "resumed"
    args = train_args(mnist_root, run, f"ckpt_path={user_checkpoint}", "trainer.max_steps=3", *nets)
    refused = train_in_process(*args, capsys=capsys)
    assert refused.returncode == 2
    assert "add its import prefix to trusted_prefixes" in refused.stderr
    assert not run.exists()

    resumed = train_in_process(*args, f"trusted_prefixes=[{USER_PACKAGE}]", capsys=capsys)
    assert resumed.returncode == 0, resumed.stderr
    saved = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert saved["global_step"] == 3
    assert saved["hyper_parameters"]["net"]["generator"]["_target_"] == f"{USER_PACKAGE}.Generator"
