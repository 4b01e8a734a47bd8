import os
from pathlib import Path

import pytest
import torch

from ganlab.data import kaggle
from tests.helpers import write_mnist
from tests.helpers.checkpoints import SHARED, train_run
from tests.helpers.small_disk import small_disk

pytest_plugins = ["tests.helpers.fault_matrix"]


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root holding only a gzipped 64-image test split, like ../shared/data."""
    return write_mnist(tmp_path_factory.mktemp("mnist"), splits=("test",), count=64, gz=True)


@pytest.fixture(scope="session", autouse=True)
def evaluation_environment(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Inception weights from ../shared/torch_home unless TORCH_HOME is set (CI sets it), and
    a reference-feature cache of the session's own (subprocesses inherit both)."""
    if "TORCH_HOME" not in os.environ and (SHARED / "torch_home").is_dir():
        os.environ["TORCH_HOME"] = str(SHARED / "torch_home")
    os.environ["GANLAB_CACHE"] = str(tmp_path_factory.mktemp("ganlab_cache"))


@pytest.fixture(scope="session")
def dcgan_run(mnist_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An unconditional DCGAN run folder (2 steps on the fixture) holding checkpoints/last.ckpt."""
    return train_run(mnist_root, tmp_path_factory.mktemp("dcgan_run"))


@pytest.fixture(scope="session")
def cdcgan_run(mnist_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same with `model.conditional=true` (labels into both networks)."""
    return train_run(mnist_root, tmp_path_factory.mktemp("cdcgan_run"), "model.conditional=true")


@pytest.fixture
def one_thread():
    """Tiny networks on a few shared cores: OpenMP's thread hand-offs cost more than the maths
    (measured: a tiny cGAN test 18 s single-threaded, minutes with two threads under load).
    Modules opt in with `pytestmark = pytest.mark.usefixtures("one_thread")`."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class OfflineKagglehub:
    """Stands in for the kagglehub package as it behaves with no network."""

    @staticmethod
    def dataset_download(handle: str, *args, **kwargs) -> str:
        raise ConnectionError(f"no network in the tests ({handle})")


@pytest.fixture(autouse=True)
def offline_kagglehub(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches Kaggle's servers through kagglehub (a public data set needs no
    credentials, so nothing else would stop it); a test that wants kagglehub replaces it."""
    monkeypatch.setattr(kaggle, "kagglehub_module", lambda: OfflineKagglehub)


@pytest.fixture
def full_disk(tmp_path: Path):
    """A real 512 KiB tmpfs on `tmp_path/disk` (skipped without root): `.fill()` it, or
    `.make_read_only()`; unmounted afterwards."""
    with small_disk(tmp_path / "disk") as disk:
        yield disk


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`slow`: the modules that start processes (the CLI in a fresh interpreter through
    `run_cli`, DDP's ranks, the wheel's build and install). `make test` runs everything, as CI
    does; `make test-fast` leaves them out while you work."""
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and ("run_cli" in vars(module) or "subprocess" in vars(module)):
            item.add_marker(pytest.mark.slow)
