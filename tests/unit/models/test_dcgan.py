import torch

from ganlab.data.mnist import MNISTDataModule
from ganlab.models import DCGAN
from tests.helpers import quiet_trainer

NET = {
    "generator": {"_target_": "ganlab.nets.dcgan28.Generator"},
    "discriminator": {"_target_": "ganlab.nets.dcgan28.Discriminator", "dropout": 0.0},
}
OPTIM = {"lr": 2e-4, "beta1": 0.5, "beta2": 0.999}


def fit(mnist_root, steps: int, **kwargs) -> DCGAN:
    torch.manual_seed(0)
    model = DCGAN(net=NET, optim=OPTIM, latent_dim=8, image_shape=(1, 28, 28), **kwargs)
    datamodule = MNISTDataModule(root=str(mnist_root), splits=["test"], batch_size=8)
    trainer = quiet_trainer(steps)
    trainer.fit(model, datamodule=datamodule)
    model.trainer_global_step = trainer.global_step
    return model


def test_global_step_counts_generator_updates(mnist_root):
    model = fit(mnist_root, steps=3)
    assert model.trainer_global_step == 3


def test_alternating_steps_each_network_once_per_batch(mnist_root):
    model = fit(mnist_root, steps=2)
    opt_g, opt_d = model.optimizers()
    steps = [state["step"].item() for state in opt_g.optimizer.state.values()]
    assert steps and set(steps) == {2.0}
    steps = [state["step"].item() for state in opt_d.optimizer.state.values()]
    assert steps and set(steps) == {2.0}


def test_simultaneous_gradients_come_from_one_forward():
    torch.manual_seed(0)
    model = DCGAN(net=NET, optim=OPTIM, latent_dim=8, update="simultaneous")
    # the discriminator's gradient must not leak into the generator and vice versa
    real = torch.rand(4, 1, 28, 28) * 2 - 1
    fake = model.generator(torch.randn(4, 8))
    fake_logits = model.discriminator(fake)
    real_logits = model.discriminator(real)
    d_loss = model.objective.discriminator(real_logits, fake_logits)
    g_params = list(model.generator.parameters())
    d_params = list(model.discriminator.parameters())
    d_loss.backward(inputs=d_params)
    assert all(p.grad is None for p in g_params)
    assert all(p.grad is not None for p in d_params)


def test_generate_uses_eval_mode_and_restores_it():
    model = DCGAN(net=NET, optim=OPTIM, latent_dim=8)
    model.train()
    running_mean = model.generator.project[1].running_mean.clone()
    images = model.generate(torch.randn(4, 8))
    assert images.shape == (4, 1, 28, 28)
    assert model.generator.training
    assert torch.equal(running_mean, model.generator.project[1].running_mean)
