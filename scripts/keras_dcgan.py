"""The TensorFlow DCGAN tutorial (tensorflow.org/tutorials/generative/dcgan) in Keras: the code
ganlab's users come from, the Keras contender of `python -m ganlab.bench` where TensorFlow is
installed (`pip install -e '.[bench]'`).

The tutorial's networks (those of `ganlab.nets.dcgan28`), its `@tf.function` step with two
gradient tapes over one forward pass (ganlab's `update=simultaneous`), Adam with the module's
rates. The bench (`ganlab/bench/keras.py`) runs this file in a process of its own, which
imports neither torch nor ganlab, and asks it for one step per line on its standard input:

    python scripts/keras_dcgan.py SPEC.npz   # setup: [hparams, batch size, threads]; images
"""

import json
import os
import sys
from typing import Any

import numpy as np


def tutorial_step(images: np.ndarray, hparams: dict[str, Any], batch_size: int, threads: int):
    """The tutorial's networks, optimizers, input pipeline and compiled step for uint8 images
    (N, 1, 28, 28); returns a function running one step. `threads` (0: one per core) caps
    TensorFlow's thread pools."""
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

    def up(channels: int, strides: int) -> list:
        conv = layers.Conv2DTranspose(channels, 5, strides, padding="same", use_bias=False)
        return [conv, layers.BatchNormalization(), layers.LeakyReLU(slope)]

    def down(channels: int) -> list:
        conv = layers.Conv2D(channels, 5, strides=2, padding="same")
        return [conv, layers.LeakyReLU(slope), layers.Dropout(dropout)]

    dense = [layers.Dense(7 * 7 * 256, use_bias=False), layers.BatchNormalization()]
    dense += [layers.LeakyReLU(slope), layers.Reshape((7, 7, 256))]
    out = layers.Conv2DTranspose(1, 5, 2, "same", use_bias=False, activation="tanh")
    generator = keras.Sequential([keras.Input((latent_dim,)), *dense, *up(128, 1), *up(64, 2), out])
    discriminator = keras.Sequential(
        [keras.Input((28, 28, 1)), *down(64), *down(128), layers.Flatten(), layers.Dense(1)]
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
    dataset = tf.data.Dataset.from_tensor_slices(nhwc).shuffle(len(nhwc))
    batches = iter(dataset.batch(batch_size, drop_remainder=True).repeat())
    return lambda: train_step(next(batches)).numpy()  # done once its result is on the host


if __name__ == "__main__":  # the TensorFlow process: one step per line read, until end of input
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed goes to stderr, not into the answers
    with np.load(sys.argv[1]) as spec:
        step = tutorial_step(spec["images"], *json.loads(str(spec["setup"])))
    print("ready", file=answers)
    for _ in sys.stdin:
        step()
        print("done", file=answers)
