"""The objective the training entry point returns to a sweeper."""

import math

import pytest

from ganlab.errors import UsageError
from ganlab.run.sweep_job import objective


def test_objective_is_the_configured_metric():
    metrics = {"g_loss_epoch": 0.7, "d_loss_epoch": 1.2}
    assert objective(metrics, None) is None
    assert objective(metrics, "g_loss_epoch") == 0.7
    assert objective({"g_loss_epoch": math.nan}, "g_loss_epoch") is None
    with pytest.raises(UsageError, match=r"'fid' is not among .*d_loss_epoch, g_loss_epoch"):
        objective(metrics, "fid")
