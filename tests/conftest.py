from pathlib import Path

import pytest

from tests.helpers import write_mnist


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root holding only a gzipped 64-image test split, like ../shared/data."""
    return write_mnist(tmp_path_factory.mktemp("mnist"), splits=("test",), count=64, gz=True)
