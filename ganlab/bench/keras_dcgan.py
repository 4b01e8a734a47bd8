"""The TensorFlow DCGAN tutorial (tensorflow.org/tutorials/generative/dcgan) in Keras: the
implementation ganlab's users come from, timed on the same images and batch size.

Same networks as `ganlab.nets.dcgan28` (Dense → 7×7×256, three Conv2DTranspose, two strided
Conv2D with dropout), the tutorial's `@tf.function` step with two gradient tapes over one
forward pass (ganlab's `update=simultaneous`), Adam with the module's rates. Runs only where
TensorFlow is installed (`pip install -e '.[bench]'`).
"""

import importlib.util
import os

import numpy as np
import torch

from ganlab.models.base import GAN


def keras_available() -> bool:
    return importlib.util.find_spec("tensorflow") is not None


def tensorflow_version() -> str | None:
    if not keras_available():
        return None
    import tensorflow as tf

    return tf.__version__


class KerasDCGAN:
    name = "Keras (TF tutorial)"

    def __init__(self, module: GAN, images: torch.Tensor, labels: torch.Tensor, batch_size: int):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf
        from tensorflow import keras
        from tensorflow.keras import layers

        hp = module.hparams
        if hp.conditional or tuple(hp.image_shape) != (1, 28, 28):
            raise ValueError("the Keras contender is the unconditional 28x28 tutorial DCGAN")
        self.batch_size = batch_size
        self.images_per_step = batch_size
        latent_dim = hp.latent_dim
        slope = hp.net["generator"].get("negative_slope", 0.3)
        dropout = hp.net["discriminator"].get("dropout", 0.3)

        self.generator = keras.Sequential(
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
        self.discriminator = keras.Sequential(
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
        optim = hp.optim
        lr_g = optim.get("lr_g") or optim["lr"]
        lr_d = optim.get("lr_d") or optim["lr"]
        adam = {"beta_1": optim["beta1"], "beta_2": optim["beta2"], "epsilon": 1e-8}
        g_opt = keras.optimizers.Adam(lr_g, **adam)
        d_opt = keras.optimizers.Adam(lr_d, **adam)
        cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
        generator, discriminator = self.generator, self.discriminator

        @tf.function
        def train_step(real):
            noise = tf.random.normal([batch_size, latent_dim])
            with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
                fake = generator(noise, training=True)
                real_output = discriminator(real, training=True)
                fake_output = discriminator(fake, training=True)
                gen_loss = cross_entropy(tf.ones_like(fake_output), fake_output)
                disc_loss = cross_entropy(
                    tf.ones_like(real_output), real_output
                ) + cross_entropy(tf.zeros_like(fake_output), fake_output)
            g_grads = gen_tape.gradient(gen_loss, generator.trainable_variables)
            d_grads = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
            g_opt.apply_gradients(zip(g_grads, generator.trainable_variables, strict=True))
            d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables, strict=True))
            return gen_loss, disc_loss

        # the tutorial's input pipeline: float images in [-1, 1], NHWC, shuffled, batched
        nhwc = images.permute(0, 2, 3, 1).numpy().astype(np.float32) / 127.5 - 1.0
        dataset = (
            tf.data.Dataset.from_tensor_slices(nhwc)
            .shuffle(len(nhwc))
            .batch(batch_size, drop_remainder=True)
            .repeat()
        )
        self.batches = iter(dataset)
        self.train_step = train_step

    def step(self) -> None:
        gen_loss, _ = self.train_step(next(self.batches))
        gen_loss.numpy()  # the step has finished when its result is on the host
