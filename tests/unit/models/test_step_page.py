"""docs/training.md shows one training step as the code computes it: the page's code block is
the source of `GAN.training_step` and `GAN.discriminator_update`, character for character."""

import inspect
import re
import textwrap

from ganlab.models.gan import GAN
from tests.helpers import REPO


def test_the_page_shows_the_step_the_code_takes():
    page = (REPO / "docs" / "training.md").read_text()
    section = page.split("## What one step computes", 1)[1]
    shown = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    code = [
        textwrap.dedent(inspect.getsource(m)) for m in (GAN.training_step, GAN.discriminator_update)
    ]
    assert shown == "\n".join(code)
