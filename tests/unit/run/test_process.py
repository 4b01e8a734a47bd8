"""On Linux, a CPU training loop keeps its freed tensors mapped: no page faults per step."""

import subprocess
import sys

import pytest

from tests.helpers import REPO

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

STEPS = """
import resource, sys, torch
from torch import nn
torch.set_num_threads(1)
if sys.argv[1] == "keep":
    from ganlab.run.fit import keep_freed_memory
    assert keep_freed_memory()
net = nn.Sequential(nn.Conv2d(1, 64, 5, 2, 2), nn.LeakyReLU(), nn.Conv2d(64, 128, 5, 2, 2))
x = torch.randn(256, 1, 28, 28)
def step():
    net.zero_grad(set_to_none=True)
    net(x).sum().backward()
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 3)
"""


def page_faults_per_step(mode: str) -> int:
    result = subprocess.run(
        [sys.executable, "-c", STEPS, mode],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(result.stdout.strip())


def test_freed_tensors_are_not_faulted_in_again():
    default = page_faults_per_step("default")
    kept = page_faults_per_step("keep")
    assert default > 1000  # glibc hands the step's big buffers back and faults them in again
    assert kept < default / 10
