"""The Keras contender: the TensorFlow DCGAN tutorial (`scripts/keras_dcgan.py`) in a process of
its own, asked for one step at a time through a pipe, so the blocks still alternate. In the
bench's process TensorFlow's thread pools would share the cores with torch's OpenMP threads
while torch is timed. It needs TensorFlow (`pip install -e '.[bench]'`) and a source checkout."""

import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "keras_dcgan.py"


def available() -> bool:
    return SCRIPT.is_file() and importlib.util.find_spec("tensorflow") is not None


class KerasDCGAN:
    name = "Keras (TF tutorial)"

    def __init__(self, hparams: dict[str, Any], images: np.ndarray, batch_size: int, threads=0):
        if hparams.get("conditional") or tuple(hparams["image_shape"]) != (1, 28, 28):
            raise ValueError("the Keras contender is the unconditional 28x28 tutorial DCGAN")
        self.images_per_step = batch_size
        with tempfile.TemporaryDirectory(prefix="ganlab-keras-") as tmp:
            spec = Path(tmp) / "spec.npz"
            setup = json.dumps([hparams, batch_size, threads or 0], default=list)
            np.savez(spec, setup=setup, images=images)
            pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
            self.process = subprocess.Popen([sys.executable, str(SCRIPT), str(spec)], **pipes)
            if self.process.stdout.readline() != "ready\n":
                raise RuntimeError("the TensorFlow process did not start (see its stderr)")

    def step(self) -> None:
        self.process.stdin.write("step\n")
        self.process.stdin.flush()
        self.process.stdout.readline()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)
