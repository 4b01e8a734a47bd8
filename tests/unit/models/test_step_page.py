"""docs/training.md shows one training step as the code computes it: the page's code block is
the source of `GAN.training_step`, character for character."""

import inspect
import re
import textwrap

from ganlab.models.gan import GAN
from tests.helpers import REPO


def test_the_page_shows_the_step_the_code_takes():
    page = (REPO / "docs" / "training.md").read_text()
    section = page.split("## What one step computes", 1)[1]
    shown = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    assert shown == textwrap.dedent(inspect.getsource(GAN.training_step))
