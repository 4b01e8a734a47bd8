"""docs/extending.md's recipes work as written: the files the page shows are written out as a
user's package, composed beside ganlab's presets through `hydra.searchpath`, and trained for
two generator steps each."""

import json
import re
import sys
from pathlib import Path

import pytest
import torch

from ganlab.errors import UsageError
from ganlab.run.fit import train
from ganlab.run.rules import check_config
from tests.helpers import REPO, TINY
from tests.helpers.checkpoints import compose_train

PAGE = REPO / "docs" / "extending.md"
FILE_BLOCK = re.compile(r"^\*\*`([\w/.]+)`\*\*\n\n```\w+\n(.*?)^```", re.DOTALL | re.MULTILINE)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def mylab(tmp_path_factory: pytest.TempPathFactory):
    """The page's files as the package `mylab`, importable while the module's tests run."""
    root = tmp_path_factory.mktemp("user")
    files = FILE_BLOCK.findall(PAGE.read_text())
    assert {path for path, _ in files} == {
        "mylab/lsgan.py", "mylab/conf/model/lsgan.yaml", "mylab/nets.py",
        "mylab/conf/model/net/tiny.yaml", "mylab/squares.py", "mylab/conf/data/squares.yaml",
    }  # fmt: skip
    for path, text in files:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / "mylab" / "__init__.py").write_text("")
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))
    for name in [name for name in sys.modules if name == "mylab" or name.startswith("mylab.")]:
        del sys.modules[name]


def compose(mylab: Path, run_dir: Path, *overrides: str):
    return compose_train(
        f"hydra.searchpath=[file://{mylab / 'mylab' / 'conf'}]",
        "trainer.max_steps=2",
        f"paths.output_dir={run_dir}",
        "logger=none",
        "seed=3",
        *TINY,
        *overrides,
    )


def trained(run_dir: Path) -> dict:
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["global_step"] == 2
    return checkpoint


def mnist(root: Path) -> list[str]:
    return [f"data.root={root}", "data.splits=[test]"]


def test_a_new_procedure(mylab, mnist_root, tmp_path):
    metrics = train(compose(mylab, tmp_path, "model=lsgan", *mnist(mnist_root)))
    assert {"d_loss_step", "g_loss_step", "d_real_step"} <= set(metrics)
    checkpoint = trained(tmp_path)
    assert checkpoint["ganlab"]["module"] == "mylab.lsgan.LSGAN"
    # the diagnosis asked the module: its d_loss is no cross-entropy, its g_loss no -log D
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["diagnosis"]["loss"] == {"cross_entropy": False, "nonsaturating": False}
    assert checkpoint["hyper_parameters"]["real_target"] == 1.0
    bad = compose(mylab, tmp_path / "bad", "model=lsgan", "model.real_target=0")
    with pytest.raises(UsageError, match=r"^model\.real_target must be > 0, got 0$"):
        check_config(bad)


def test_a_new_network_family(mylab, mnist_root, tmp_path):
    train(compose(mylab, tmp_path, "model=dcgan", "model/net=tiny", *mnist(mnist_root)))
    state = trained(tmp_path)["state_dict"]
    assert state["generator.body.0.weight"].shape == (256, 100)


def test_a_new_data_module(mylab, tmp_path):
    cfg = compose(mylab, tmp_path, "data=squares", "data.count=32", "model.conditional=true")
    train(cfg)
    checkpoint = trained(tmp_path)
    assert checkpoint["ganlab"]["datamodule"] == "mylab.squares.SquaresDataModule"
    assert checkpoint["ganlab"]["class_names"][0] == "top left"
