"""`python -m ganlab.evaluate`: every promised file and field, the reference cache, the
real-vs-real floor, samples from an .npz, and bad input."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir

from ganlab.errors import UsageError
from ganlab.evaluate import evaluate, real_datamodule_config
from ganlab.metrics.inception import weights_path
from ganlab.run.config import CONF_DIR
from ganlab.sampling.files import save_npz
from tests.helpers import run_cli

SMALL = ["n=8", "real_n=16", "batch_size=16"]
NO_INCEPTION = "metrics=[domain_fid,label_accuracy,class_entropy,mean_confidence,nn_l1]"
CACHED = "[kid,precision_recall,density_coverage,domain_fid,class_entropy,mean_confidence,nn_l1]"


def evaluate_in_process(*overrides):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("evaluate", overrides=list(overrides))
    return evaluate(cfg)


@pytest.fixture(scope="module")
def evaluate_cache(tmp_path_factory) -> Path:
    """A reference cache of this module's own: the session's may already hold the
    classifier's features from another test on the same worker."""
    return tmp_path_factory.mktemp("evaluate_cache")


@pytest.fixture(scope="module")
def two_runs(dcgan_run, evaluate_cache, tmp_path_factory):
    """The CLI twice on one checkpoint: first into the default folder, then (reference
    features now cached) into another."""
    if not weights_path().is_file():
        pytest.skip(f"no Inception weights at {weights_path()} (set TORCH_HOME)")
    ckpt = dcgan_run / "checkpoints" / "last.ckpt"
    env = {"GANLAB_CACHE": str(evaluate_cache)}
    first = run_cli("ganlab.evaluate", f"ckpt_path={ckpt}", *SMALL, env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    second_out = tmp_path_factory.mktemp("second")
    # kid reads the cached Inception features as fid would, without fid's 2048-d
    # eigendecomposition (seconds on a CPU)
    second = run_cli(
        "ganlab.evaluate", f"ckpt_path={ckpt}", *SMALL, f"out={second_out}", f"metrics={CACHED}",
        env=env,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr[-3000:]
    return (first, dcgan_run / "evaluation" / "last"), (second, second_out)


def test_writes_every_promised_file_and_field(two_runs):
    (result, out), _ = two_runs
    assert {p.name for p in out.iterdir()} == {
        "metrics.json",
        "nearest_neighbours.png",
        "samples.png",
    }
    report = json.loads((out / "metrics.json").read_text())
    metrics = report["metrics"]
    for name in ("fid", "kid_mean", "kid_std", "domain_fid", "class_entropy"):
        assert np.isfinite(metrics[name]), name
    assert metrics["fid"] > 0 and 0 <= metrics["class_entropy"] <= 1
    assert 0 < metrics["mean_confidence"] <= 1 and 0 < metrics["nn_l1"] < 1
    # an unconditional generator has no requested labels; the shared weights no IS head
    assert "label_accuracy" in report["unavailable"]
    if "is" in report["unavailable"]:
        assert "classification head" in report["unavailable"]["is"]
    else:
        assert metrics["is_mean"] >= 1
    assert report["n"] == 8 and report["real"]["real_n"] == 16 and report["nn_l1_pool"] == 64
    assert report["real"]["datamodule"] == "ganlab.data.mnist.MNISTDataModule"
    assert report["classifier"]["held_out_accuracy"] >= 0.97
    for line in ("fid ", "kid_mean ", "domain_fid ", "nn_l1 ", "is  ", "unavailable"):
        assert line in result.stdout
    for name in ("precision", "recall", "density", "coverage"):
        assert 0 <= metrics[name] <= (2 if name == "density" else 1), name


def test_metrics_json_records_the_protocol(two_runs):
    (result, out), _ = two_runs
    protocol = json.loads((out / "metrics.json").read_text())["protocol"]
    assert protocol["name"] == "standard" and not protocol["comparable"]
    assert protocol["deviations"] == {
        "n": {"protocol": 10_000, "used": 8},
        "real_n": {"protocol": 10_000, "used": 16},
    }
    assert protocol["generated"] == {"n": 8, "samples": "generated", "seed": 0, "weights": "raw"}
    real = protocol["real"]
    assert real["n"] == 16 and real["indices"]["of"] == 64 and real["splits"] == ["test"]
    assert real["data"] == "ganlab.data.mnist.MNISTDataModule"
    assert "first 16 of torch.randperm(64" in real["indices"]["selection"]
    features = protocol["features"]
    assert features["dims"] == 2048 and features["weights_file"] == str(weights_path())
    assert features["weights_sha256"] == hashlib.sha256(weights_path().read_bytes()).hexdigest()
    assert protocol["resize"] == {
        "method": "tf1_bilinear",
        "size": 299,
        "channels": "greyscale tiled to 3",
    }
    assert "biased upwards" in protocol["bias"] and "biased upwards" in result.stderr
    assert "protocol standard: 8 images against 16 real" in result.stdout


def test_second_run_reads_the_cache_and_gives_the_same_numbers(two_runs):
    (_, first_out), (_, second_out) = two_runs
    first = json.loads((first_out / "metrics.json").read_text())
    second = json.loads((second_out / "metrics.json").read_text())
    assert first["reference_cached"] == {"inception": False, "mnist_classifier": False}
    assert second["reference_cached"] == {"inception": True, "mnist_classifier": True}
    del first["metrics"]["fid"]
    assert second["metrics"] == pytest.approx(first["metrics"], rel=1e-6)
    assert second["seconds"]["reference"] < first["seconds"]["reference"]


def test_conditional_checkpoint_gets_label_accuracy(cdcgan_run, tmp_path):
    report = evaluate_in_process(
        f"ckpt_path={cdcgan_run}/checkpoints/last.ckpt", *SMALL, NO_INCEPTION, f"out={tmp_path}"
    )
    assert 0 <= report["metrics"]["label_accuracy"] <= 1
    assert report["unavailable"] == {}


def test_lucic2018_records_its_test_split_and_reference_table(dcgan_run, tmp_path, capsys):
    report = evaluate_in_process(
        f"ckpt_path={dcgan_run}/checkpoints/last.ckpt", "protocol=lucic2018", *SMALL,
        NO_INCEPTION, f"out={tmp_path}",
    )  # fmt: skip
    protocol = report["protocol"]
    assert protocol["name"] == "lucic2018" and protocol["real"]["splits"] == ["test"]
    assert set(protocol["deviations"]) == {"n", "real_n"}  # splits and resize are its own
    assert protocol["reference_scores"]["ns_gan"] == 6.8 and protocol["features"] is None
    assert "Lucic et al. 2018, Table 2, MNIST" in capsys.readouterr().out


def test_export_stats_writes_the_reference_mu_and_sigma(
    two_runs, evaluate_cache, dcgan_run, tmp_path, monkeypatch
):
    monkeypatch.setenv("GANLAB_CACHE", str(evaluate_cache))
    path = tmp_path / "mnist_test.npz"
    report = evaluate_in_process(
        f"ckpt_path={dcgan_run}/checkpoints/last.ckpt", *SMALL,
        "metrics=[nn_l1]", f"export_stats={path}", f"out={tmp_path}/eval",
    )  # fmt: skip
    with np.load(path, allow_pickle=False) as stats:
        mu, sigma, protocol = stats["mu"], stats["sigma"], json.loads(str(stats["protocol"]))
    (cached,) = (evaluate_cache / "reference").glob("*n16_inception_tf1*")
    features = torch.load(cached, weights_only=True)["features"].double().numpy()
    assert mu.shape == (2048,) and sigma.shape == (2048, 2048)
    np.testing.assert_allclose(mu, features.mean(0), rtol=1e-6)
    np.testing.assert_allclose(sigma, np.cov(features, rowvar=False), rtol=1e-6, atol=1e-9)
    assert protocol["real"] == report["protocol"]["real"]
    assert protocol["features"] == report["protocol"]["features"]


def test_real_vs_real_floor_scores_held_out_real_images(mnist_root, tmp_path):
    report = evaluate_in_process(
        "samples=real", "real=mnist", f"data.root={mnist_root}", "data.splits=[test]",
        *SMALL, NO_INCEPTION, f"out={tmp_path}",
    )  # fmt: skip
    assert report["nn_l1_pool"] == 64 - 8  # the scored images are not their own neighbours
    assert report["metrics"]["nn_l1"] > 0
    assert 0 <= report["metrics"]["label_accuracy"] <= 1  # the real labels
    assert report["samples"] == "real"


def test_a_training_image_has_nn_l1_zero(dcgan_run, mnist_root, tmp_path):
    from ganlab.data.mnist import MNISTDataModule

    datamodule = MNISTDataModule(root=str(mnist_root), splits=["test"], download=False)
    datamodule.setup()
    save_npz(tmp_path / "copies.npz", datamodule.train_set.images[:8])
    report = evaluate_in_process(
        f"ckpt_path={dcgan_run}/checkpoints/last.ckpt", f"samples={tmp_path}/copies.npz",
        *SMALL, "metrics=[nn_l1]", f"out={tmp_path}/eval",
    )  # fmt: skip
    assert report["metrics"]["nn_l1"] == 0.0


def test_npz_samples_score_like_the_same_images_generated(dcgan_run, tmp_path):
    ckpt = f"{dcgan_run}/checkpoints/last.ckpt"
    direct = evaluate_in_process(f"ckpt_path={ckpt}", *SMALL, NO_INCEPTION, f"out={tmp_path}/a")
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        from ganlab.generate import generate

        generate(
            compose("generate", overrides=[f"ckpt_path={ckpt}", "n=8", f"out={tmp_path}/g.npz"])
        )
    from_npz = evaluate_in_process(
        f"ckpt_path={ckpt}", f"samples={tmp_path}/g.npz", *SMALL, NO_INCEPTION, f"out={tmp_path}/b"
    )
    # the same images; convolution kernels may round the last bits differently between calls
    assert from_npz["metrics"] == pytest.approx(direct["metrics"], rel=1e-6)


def test_domain_metrics_do_not_apply_to_other_images(tmp_path):
    images = torch.randint(0, 256, (24, 3, 16, 16), dtype=torch.uint8)
    save_npz(tmp_path / "real.npz", images)
    save_npz(tmp_path / "fake.npz", images.flip(0))
    report = evaluate_in_process(
        f"samples={tmp_path}/fake.npz", f"real={tmp_path}/real.npz", *SMALL,
        "metrics=[domain_fid,class_entropy,nn_l1]", f"out={tmp_path}/eval",
    )  # fmt: skip
    assert set(report["unavailable"]) == {"domain_fid", "class_entropy"}
    assert "needs MNIST digits" in report["unavailable"]["domain_fid"]
    assert report["metrics"]["nn_l1"] >= 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["n=1"], "n must be an integer >= 2"),
        (["metrics=[fid,sharpness]"], "unknown metric 'sharpness'"),
        (["real=celebahq"], "real=celebahq is neither a data preset"),
        (["real_n=1000"], "real_n must be between 2 and 64"),
        (["samples=real", "real_n=60"], "samples=real needs real_n \\+ n <= 64"),
        (["device=gpu"], "device must be auto, cpu or cuda"),
        (["resize=nearest"], "resize=nearest is not one of tf1_bilinear, antialias"),
        (["export_stats=stats.txt"], "export_stats=stats.txt must name an .npz file"),
    ],
)
def test_bad_settings_stop_with_one_message(dcgan_run, mnist_root, tmp_path, overrides, message):
    base = [f"ckpt_path={dcgan_run}/checkpoints/last.ckpt", "n=8", f"out={tmp_path}/eval"]
    if "real=celebahq" not in overrides:
        base.append(f"data.root={mnist_root}")
    with pytest.raises(UsageError, match=message):
        evaluate_in_process(*base, *overrides)
    assert not (tmp_path / "eval" / "metrics.json").exists()


@pytest.mark.fault
def test_unwritable_out_stops_before_any_work(dcgan_run, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="cannot create out="):
        evaluate_in_process(
            f"ckpt_path={dcgan_run}/checkpoints/last.ckpt", f"out={tmp_path}/file/e"
        )


def test_cli_usage_error_is_one_line_exit_2(tmp_path):
    result = run_cli("ganlab.evaluate", "n=0", f"ckpt_path={tmp_path}/none.ckpt")
    assert result.returncode == 2
    assert result.stderr.strip() == "ganlab: error: n must be an integer >= 2, got 0"


@pytest.mark.parametrize(("overrides", "limit"), [([], 16), (["+data.limit=null"], None)])
def test_a_null_data_override_clears_the_checkpoints_argument(overrides, limit):
    """`data.root`/`data.splits` null mean "the checkpoint's"; an added key's null is a value."""
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("evaluate", overrides=overrides)
    checkpoint = {
        "ganlab": {"datamodule": "ganlab.data.mnist.MNISTDataModule"},
        "datamodule_hyper_parameters": {"root": "/d", "splits": ["test"], "limit": 16},
    }
    config = real_datamodule_config(cfg, "last.ckpt", checkpoint)
    assert (config["root"], config["splits"], config["limit"]) == ("/d", ["test"], limit)


@pytest.mark.fault
def test_a_checkpoints_data_settings_never_start_a_download(dcgan_run, tmp_path):
    """The file says download=true into a root that does not exist: evaluate reads, never
    writes there; the data's location and a download are this run's to decide."""
    checkpoint = torch.load(dcgan_run / "checkpoints" / "last.ckpt", weights_only=True)
    elsewhere = tmp_path / "not" / "here"
    checkpoint["datamodule_hyper_parameters"].update(root=str(elsewhere), download=True)
    path = tmp_path / "moved.ckpt"
    torch.save(checkpoint, path)
    config = real_datamodule_config(compose_evaluate(f"ckpt_path={path}"), str(path), checkpoint)
    assert config["download"] is False
    with pytest.raises(UsageError, match="MNIST files not found"):
        evaluate_in_process(f"ckpt_path={path}", *SMALL, NO_INCEPTION)
    assert not (tmp_path / "not").exists()


@pytest.mark.fault
@pytest.mark.parametrize("name", ["../train", "data/../../x", "/etc/passwd"])
def test_a_real_preset_is_a_name_never_a_path(dcgan_run, name, tmp_path):
    ckpt = dcgan_run / "checkpoints" / "last.ckpt"
    out = f"out={tmp_path / 'evaluation'}"  # the run's default folder may hold another's
    with pytest.raises(UsageError, match="is neither a data preset"):
        evaluate_in_process(f"ckpt_path={ckpt}", f"real={name}", out, *SMALL, NO_INCEPTION)


def compose_evaluate(*overrides):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("evaluate", overrides=list(overrides))
