"""The TensorFlow DCGAN tutorial (tensorflow.org/tutorials/generative/dcgan) in Keras: the
implementation ganlab's users come from, timed on the same images and batch size.

Same networks as `ganlab.nets.dcgan28` (Dense → 7×7×256, three Conv2DTranspose, two strided
Conv2D with dropout), the tutorial's `@tf.function` step with two gradient tapes over one
forward pass (ganlab's `update=simultaneous`), Adam with the module's rates. Runs only where
TensorFlow is installed (`pip install -e '.[bench]'`).

TensorFlow runs in its own process (no torch imported there): in one process its thread pools
and tf.data's background prefetching would share the cores with torch's OpenMP threads while
torch is being timed. The benchmark process asks it for one step at a time through a pipe,
so the blocks still alternate.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def keras_available() -> bool:
    return importlib.util.find_spec("tensorflow") is not None


def tensorflow_version() -> str | None:
    if not keras_available():
        return None
    from importlib.metadata import PackageNotFoundError, version

    for name in ("tensorflow", "tensorflow-cpu"):
        try:
            return version(name)
        except PackageNotFoundError:
            continue
    return "installed"


def build_train_step(
    hparams: dict[str, Any], images: np.ndarray, batch_size: int, threads: int | None = None
):
    """The tutorial's networks, optimizers, input pipeline and compiled step, for uint8
    images (N, 1, 28, 28); returns a function running one step. `threads` caps TensorFlow's
    intra- and inter-op thread pools (default: one thread per core)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    from tensorflow import keras
    from tensorflow.keras import layers

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)

    latent_dim = hparams["latent_dim"]
    slope = hparams["net"]["generator"].get("negative_slope", 0.3)
    dropout = hparams["net"]["discriminator"].get("dropout", 0.3)
    generator = keras.Sequential(
        [
            keras.Input((latent_dim,)),
            layers.Dense(7 * 7 * 256, use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(slope),
            layers.Reshape((7, 7, 256)),
            layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(slope),
            layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(slope),
            layers.Conv2DTranspose(
                1, 5, strides=2, padding="same", use_bias=False, activation="tanh"
            ),
        ]
    )
    discriminator = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(64, 5, strides=2, padding="same"),
            layers.LeakyReLU(slope),
            layers.Dropout(dropout),
            layers.Conv2D(128, 5, strides=2, padding="same"),
            layers.LeakyReLU(slope),
            layers.Dropout(dropout),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    optim = hparams["optim"]
    adam = {"beta_1": optim["beta1"], "beta_2": optim["beta2"], "epsilon": 1e-8}
    g_opt = keras.optimizers.Adam(optim.get("lr_g") or optim["lr"], **adam)
    d_opt = keras.optimizers.Adam(optim.get("lr_d") or optim["lr"], **adam)
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def train_step(real):
        noise = tf.random.normal([batch_size, latent_dim])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            fake = generator(noise, training=True)
            real_output = discriminator(real, training=True)
            fake_output = discriminator(fake, training=True)
            gen_loss = cross_entropy(tf.ones_like(fake_output), fake_output)
            disc_loss = cross_entropy(tf.ones_like(real_output), real_output) + cross_entropy(
                tf.zeros_like(fake_output), fake_output
            )
        g_grads = gen_tape.gradient(gen_loss, generator.trainable_variables)
        d_grads = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
        g_opt.apply_gradients(zip(g_grads, generator.trainable_variables, strict=True))
        d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables, strict=True))
        return gen_loss

    # the tutorial's input pipeline: float images in [-1, 1], NHWC, shuffled, batched
    nhwc = images.transpose(0, 2, 3, 1).astype(np.float32) / 127.5 - 1.0
    dataset = (
        tf.data.Dataset.from_tensor_slices(nhwc)
        .shuffle(len(nhwc))
        .batch(batch_size, drop_remainder=True)
        .repeat()
    )
    batches = iter(dataset)

    def step() -> None:
        train_step(next(batches)).numpy()  # finished once its result is on the host

    return step


def peak_rss_mib() -> float | None:
    try:
        match = re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())
    except OSError:
        return None
    return int(match.group(1)) / 1024 if match else None


def serve(spec_path: str) -> None:
    """The TensorFlow process (`python -m ganlab.bench.keras_dcgan SPEC.npz`): one step per
    "step" line on stdin, answered with the CPU seconds it took; its peak RSS on "memory"."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed goes to stderr, not into the protocol
    with np.load(spec_path, allow_pickle=False) as spec:
        hparams = json.loads(str(spec["hparams"]))
        threads = int(spec["threads"]) or None
        step = build_train_step(hparams, spec["images"], int(spec["batch_size"]), threads)
    print("ready", file=protocol)
    for line in sys.stdin:
        command = line.strip()
        if command == "step":
            start = time.process_time()
            step()
            print(time.process_time() - start, file=protocol)
        elif command == "memory":
            print(peak_rss_mib() or "nan", file=protocol)
        elif command == "stop":
            return


class KerasDCGAN:
    """The Keras contender, driven from the benchmark process through a pipe."""

    name = "Keras (TF tutorial)"

    def __init__(
        self,
        hparams: dict[str, Any],
        images: np.ndarray,
        batch_size: int,
        threads: int | None = None,
    ):
        if hparams.get("conditional") or tuple(hparams["image_shape"]) != (1, 28, 28):
            raise ValueError("the Keras contender is the unconditional 28x28 tutorial DCGAN")
        self.images_per_step = batch_size
        self.cpu_seconds: list[float] = []
        with tempfile.TemporaryDirectory(prefix="ganlab-keras-") as tmp:
            spec = Path(tmp) / "spec.npz"
            np.savez(
                spec,
                hparams=json.dumps(hparams, default=list),
                images=images,
                batch_size=batch_size,
                threads=threads or 0,
            )
            # the child imports this very ganlab, installed or not
            root = str(Path(__file__).resolve().parents[2])
            path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ganlab.bench.keras_dcgan", str(spec)],
                env={**os.environ, "PYTHONPATH": path},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                bufsize=1,
            )
            if self._ask(None) != "ready":
                raise RuntimeError("the TensorFlow process did not start (see its stderr)")

    def _ask(self, command: str | None) -> str:
        if command is not None:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def step(self) -> None:
        self.cpu_seconds.append(float(self._ask("step")))

    def peak_mib(self) -> float | None:
        """Peak RSS of the TensorFlow process (it holds TensorFlow and the images only)."""
        value = float(self._ask("memory"))
        return None if value != value else value

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write("stop\n")
            self.process.stdin.close()
            self.process.wait(timeout=60)


if __name__ == "__main__":
    serve(sys.argv[1])
