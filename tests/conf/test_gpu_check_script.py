"""scripts/gpu_check.py (make gpu-check): its dry mode, on any machine, prints commands that
compose: every procedure on the GPU fast path, a seeded deterministic pair, the GPU bench."""

import shlex
import subprocess
import sys

from tests.helpers import REPO
from tests.helpers.studies import composed

SCRIPT = REPO / "scripts" / "gpu_check.py"


def test_the_dry_run_trains_every_procedure_and_a_deterministic_pair(tmp_path):
    printed = subprocess.run(
        [sys.executable, str(SCRIPT), "--data", "/d", "--out", str(tmp_path), "--dry-run"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    lines = [shlex.split(line[2:]) for line in printed.splitlines() if line.startswith("+ ")]
    trains = [line[3:] for line in lines if line[1:3] == ["-m", "ganlab.train"]]
    configs = [composed(*overrides) for overrides in trains]
    models = [cfg.hydra.runtime.choices.model for cfg in configs[:-2]]
    assert models == ["dcgan", "dcgan64", "wgan_gp", "wgan", "cgan", "cdcgan", "cwgan_gp"]
    for cfg in configs:
        assert cfg.trainer.accelerator == "gpu" and cfg.data.root == "/d"
    pair = configs[-2:]
    assert all(cfg.trainer.deterministic and cfg.seed == 1 for cfg in pair)
    assert pair[0].hydra.run.dir != pair[1].hydra.run.dir
    (bench,) = [line for line in lines if line[1:3] == ["-m", "ganlab.bench"]]
    assert bench[bench.index("--device") + 1] == "cuda"
