"""The Keras contender, where TensorFlow is installed (`pip install -e '.[bench]'`)."""

import numpy as np
import pytest

from ganlab.bench.keras import KerasDCGAN, available

HPARAMS = {
    "latent_dim": 16,
    "image_shape": [1, 28, 28],
    "conditional": False,
    "net": {"generator": {"negative_slope": 0.3}, "discriminator": {"dropout": 0.3}},
    "optim": {"lr": 1e-4, "lr_g": None, "lr_d": None, "beta1": 0.5, "beta2": 0.999},
}


@pytest.mark.skipif(not available(), reason="TensorFlow is not installed")
def test_the_tensorflow_process_trains_step_by_step():
    images = np.random.default_rng(0).integers(0, 256, (32, 1, 28, 28), dtype=np.uint8)
    keras = KerasDCGAN(HPARAMS, images, batch_size=8, threads=1)
    try:
        for _ in range(3):
            keras.step()
        assert keras.process.poll() is None  # still serving
    finally:
        keras.close()
    assert keras.process.returncode == 0


def test_only_the_unconditional_tutorial_network():
    with pytest.raises(ValueError, match="unconditional 28x28"):
        KerasDCGAN({**HPARAMS, "conditional": True}, np.zeros((8, 1, 28, 28), np.uint8), 8)
