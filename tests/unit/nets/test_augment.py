"""DiffAugment's policies: differentiable, shape- and range-true, repeatable under a seed, and
parsed from the config's list or comma-separated string."""

import pytest
import torch
import torch.nn.functional as F

from ganlab.errors import UsageError
from ganlab.models import DCGAN
from ganlab.nets.augment import (
    ADA_INTERVAL,
    ADA_KIMG,
    ADA_TARGET,
    POLICIES,
    AdaptiveProbability,
    DiffAugment,
    augmentation_of,
    brightness,
    contrast,
    cutout,
    policy_names,
    saturation,
    translation,
)


def seeded(function, seed: int = 0):
    """`function` with the same random draws on every call (what gradcheck needs)."""

    def call(images: torch.Tensor) -> torch.Tensor:
        torch.manual_seed(seed)
        return function(images)

    return call


@pytest.mark.parametrize("name", POLICIES)
def test_every_policy_is_differentiable_with_respect_to_the_images(name):
    images = torch.rand(2, 3, 8, 8, dtype=torch.float64) * 2 - 1
    images.requires_grad_(True)
    assert torch.autograd.gradcheck(seeded(POLICIES[name]), (images,), fast_mode=True)
    (grad,) = torch.autograd.grad(POLICIES[name](images).sum(), images)
    assert grad.abs().sum() > 0


def test_the_whole_chain_passes_the_gradient_back():
    images = (torch.rand(4, 3, 8, 8) * 2 - 1).requires_grad_(True)
    augment = DiffAugment(("color", "translation", "cutout"))
    augment(images).square().sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0


def shifted(image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """A reference translation: `image` moved down dy and right dx, zeros shifted in."""
    h, w = image.shape[-2:]
    padded = F.pad(image, (abs(dx),) * 2 + (abs(dy),) * 2)
    top, left = abs(dy) - dy, abs(dx) - dx
    return padded[..., top : top + h, left : left + w]


def test_translation_moves_each_image_by_at_most_an_eighth_filling_zeros():
    torch.manual_seed(0)
    images = torch.rand(64, 3, 16, 16) + 1  # in [1, 2): no pixel is 0 before
    moved = translation(images)
    assert moved.shape == images.shape
    shifts = set()
    for image, out in zip(images, moved, strict=True):
        matches = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if torch.equal(out, shifted(image, dy, dx))
        ]
        assert len(matches) == 1
        shifts.add(matches[0])
    assert len(shifts) > 10  # each image draws its own shift, both signs, both axes
    assert {dy for dy, _ in shifts} == {dx for _, dx in shifts} == set(range(-2, 3))


def test_cutout_zeroes_one_square_of_half_the_size_clipped_at_the_border():
    torch.manual_seed(0)
    images = torch.rand(64, 3, 16, 16) + 1
    out = cutout(images)
    assert out.shape == images.shape
    zero = out == 0
    assert torch.equal(out[~zero], images[~zero])  # everything else untouched
    assert torch.equal(zero, zero[:, :1].expand_as(zero))  # the same square on every channel
    sizes = set()
    for mask in zero[:, 0]:
        rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
        height, width = len(rows), len(cols)
        assert mask.sum() == height * width  # a rectangle
        assert rows.max() - rows.min() + 1 == height and cols.max() - cols.min() + 1 == width
        assert 4 <= height <= 8 and 4 <= width <= 8  # half the size, clipped to at least half
        sizes.add((height, width))
    assert (8, 8) in sizes and len(sizes) > 1


def test_colour_transformations_stay_in_their_documented_ranges():
    torch.manual_seed(0)
    images = torch.rand(256, 3, 8, 8) * 2 - 1
    shift = brightness(images) - images  # one constant per image in [-0.5, 0.5)
    per_image = shift.flatten(1)
    assert torch.allclose(per_image, per_image[:, :1].expand_as(per_image), atol=1e-6)
    assert per_image.min() >= -0.5 and per_image.max() < 0.5 and per_image.std() > 0.2

    def scale(out, centre):
        return ((out - centre).flatten(1) / (images - centre).flatten(1)).median(1).values

    saturation_scale = scale(saturation(images), images.mean(1, keepdim=True))
    assert saturation_scale.min() >= 0 and saturation_scale.max() <= 2
    assert saturation_scale.max() > 1.8 and saturation_scale.min() < 0.2
    contrast_scale = scale(contrast(images), images.mean((1, 2, 3), keepdim=True))
    assert contrast_scale.min() >= 0.5 - 1e-5 and contrast_scale.max() <= 1.5 + 1e-5
    grey = torch.rand(4, 1, 8, 8)
    assert torch.allclose(saturation(grey), grey)  # one channel has no saturation


def test_the_same_seed_draws_the_same_augmentation():
    images = torch.rand(8, 3, 16, 16) * 2 - 1
    augment = augmentation_of("color,translation,cutout")
    first, again = seeded(augment, 5)(images), seeded(augment, 5)(images)
    other = seeded(augment, 6)(images)
    assert torch.equal(first, again) and not torch.equal(first, other)


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (None, ()),
        ("", ()),
        ("translation,cutout", ("translation", "cutout")),
        (" color , translation ", ("color", "translation")),
        (["translation", "cutout"], ("translation", "cutout")),
        ("cutout", ("cutout",)),
    ],
)
def test_the_setting_is_a_comma_separated_string_or_a_list(value, names):
    assert policy_names(value) == names
    assert (augmentation_of(value) is None) == (not names)


@pytest.mark.parametrize("value", ["translation,rotate", ["flip"], [1], 3])
def test_an_unknown_policy_is_one_usage_error_naming_the_choices(value):
    with pytest.raises(UsageError) as error:
        DCGAN.check_values({"augment": value})
    assert str(error.value) == (
        "model.augment must be a comma-separated string or a list of policies from "
        f"['color', 'translation', 'cutout'] (or null), got {value!r}"
    )


def test_a_probability_chooses_per_image_and_one_draws_nothing_more():
    images = torch.rand(64, 1, 8, 8) * 2 - 1
    torch.manual_seed(0)
    always = DiffAugment(("cutout",))(images)
    torch.manual_seed(0)
    assert torch.equal(DiffAugment(("cutout",))(images, 1.0), always)  # as before the option
    assert torch.equal(DiffAugment(("cutout",))(images, 0.0), images)
    half = DiffAugment(("cutout",))(images, torch.tensor(0.5))
    changed = (half != images).flatten(1).any(1)
    assert 10 < changed.sum() < 54  # some images augmented, some not


def test_the_adaptive_probability_follows_the_sign_of_d_on_the_reals():
    ada = AdaptiveProbability()
    ada.observe(torch.tensor([3.0, 1.0, 2.0, -1.0]))  # r_t = 0.5 < 0.6: p would fall, stays 0
    ada.adjust()
    assert ada.p.item() == 0.0 and ada.seen.item() == 0.0
    ada.observe(torch.full((1000,), 5.0))  # r_t = 1: overfitting, p rises by 1000 / 500,000
    ada.adjust()
    assert ada.p.item() == pytest.approx(1000 / (ADA_KIMG * 1000))
    assert 0 <= ADA_TARGET <= 1 and ADA_INTERVAL >= 1
