"""The nearest-neighbour memorisation check."""

import torch
from PIL import Image

from ganlab.metrics.nearest import nearest_real, neighbour_figure


def test_a_training_image_is_at_distance_zero_from_itself():
    real = torch.randint(0, 256, (300, 1, 28, 28), dtype=torch.uint8)
    distances, indices = nearest_real(real[[17, 250]], real)
    assert distances.tolist() == [0.0, 0.0] and indices.tolist() == [17, 250]


def test_distance_is_the_mean_per_pixel_l1_in_unit_range():
    real = torch.zeros(2, 1, 4, 4, dtype=torch.uint8)
    real[1] = 255
    fake = torch.full((1, 1, 4, 4), 51, dtype=torch.uint8)  # 0.2 from black, 0.8 from white
    distances, indices = nearest_real(fake, real)
    assert abs(distances.item() - 0.2) < 1e-6 and indices.item() == 0


def test_chunks_do_not_change_the_answer():
    real = torch.randint(0, 256, (50, 1, 8, 8), dtype=torch.uint8)
    fake = torch.randint(0, 256, (600, 1, 8, 8), dtype=torch.uint8)  # > one chunk of 256
    distances, indices = nearest_real(fake, real)
    exact = torch.cdist(fake.flatten(1).double(), real.flatten(1).double(), p=1) / 64 / 255
    assert torch.allclose(distances.double(), exact.min(1).values)
    assert torch.allclose(exact.gather(1, indices[:, None]).squeeze(1), exact.min(1).values)


def test_figure_pairs_each_row_of_samples_with_its_neighbours(tmp_path):
    real = torch.randint(0, 256, (40, 1, 28, 28), dtype=torch.uint8)
    neighbour_figure(tmp_path / "nn.png", real[:16], real, torch.arange(16))
    width, height = Image.open(tmp_path / "nn.png").size
    assert (width, height) == (8 * 30 + 2, 4 * 30 + 2)  # 8 columns; 2 sample + 2 neighbour rows
