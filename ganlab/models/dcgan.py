"""DCGAN (Radford et al. 2015): binary cross-entropy with the non-saturating generator loss,
one discriminator update then one generator update that reuses its fakes (pytorch/examples'
DCGAN), with the label tricks as options. `update='simultaneous'` is the TensorFlow
tutorial's two gradient tapes."""

from ganlab.models.gan import GAN


class DCGAN(GAN):
    """`GAN` at its own defaults: DCGAN is the point every other variant moves from."""
