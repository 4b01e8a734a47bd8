"""metrics.json: what a run's record holds, how failures are described, and the objective
the training entry point returns to a sweeper."""

import json
import math

import pytest
import torch
from hydra.errors import InstantiationException

from ganlab.callbacks.run_summary import final_metrics
from ganlab.errors import UsageError
from ganlab.run.record import completed_record, describe, failed_record, read_record, write_record
from ganlab.train import objective


def test_final_metrics_keep_each_logged_value_once():
    logged = {
        "g_loss": torch.tensor(1.5),
        "g_loss_step": torch.tensor(1.9),
        "g_loss_epoch": torch.tensor(1.5),
        "fid": torch.tensor(42.0),
        "per_class": torch.ones(3),
        "wall": 2.0,
    }
    assert final_metrics(logged) == {"g_loss_epoch": 1.5, "fid": 42.0, "wall": 2.0}


def test_record_round_trips_as_strict_json(tmp_path):
    record = completed_record(
        {"g_loss_epoch": 0.5, "d_loss_epoch": math.nan},
        global_step=7,
        epochs=1,
        wall_time_s=1.23456,
    )
    path = write_record(tmp_path / "run", **record)
    text = path.read_text()
    assert "NaN" not in text
    assert json.loads(text)["metrics"] == {"g_loss_epoch": 0.5, "d_loss_epoch": None}
    assert read_record(tmp_path / "run") == record
    assert record["wall_time_s"] == 1.235 and record["status"] == "completed"
    assert read_record(tmp_path / "elsewhere") is None


def test_a_failure_keeps_what_training_measured():
    done = completed_record({"g_loss_epoch": 0.5}, global_step=7, epochs=1, wall_time_s=10.0)
    record = failed_record(UsageError("optimized_metric='fid' is not among"), 0.5, done)
    assert record["status"] == "failed" and record["error"].startswith("optimized_metric")
    assert record["metrics"] == {"g_loss_epoch": 0.5} and record["global_step"] == 7
    assert record["wall_time_s"] == 10.5
    before_training = failed_record(RuntimeError("boom"), 0.1, None)
    assert before_training["metrics"] == {} and before_training["global_step"] is None


def wrapped_by_instantiate(cause: Exception) -> Exception:
    """What hydra.utils.instantiate raises when a constructor raises `cause`."""
    try:
        raise InstantiationException("Error in call to target 'ganlab.models.DCGAN'") from cause
    except InstantiationException as wrapper:
        return wrapper


def test_describe_names_the_root_cause_in_one_line():
    shape = wrapped_by_instantiate(ValueError("needs a power-of-two size\nsecond line"))
    assert describe(shape) == "ValueError: needs a power-of-two size"
    user = wrapped_by_instantiate(UsageError("model.latent_dim must be >= 1, got 0"))
    assert describe(user) == "model.latent_dim must be >= 1, got 0"
    assert describe(RuntimeError()) == "RuntimeError"


def test_objective_is_the_configured_metric():
    metrics = {"g_loss_epoch": 0.7, "d_loss_epoch": 1.2}
    assert objective(metrics, None) is None
    assert objective(metrics, "g_loss_epoch") == 0.7
    assert objective({"g_loss_epoch": math.nan}, "g_loss_epoch") is None
    with pytest.raises(UsageError, match=r"'fid' is not among .*d_loss_epoch, g_loss_epoch"):
        objective(metrics, "fid")
