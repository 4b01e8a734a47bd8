"""`make gpu-check`: what a session lent a GPU runs first, in about 8 minutes, into one table.

1. every procedure preset a few hundred generator updates on the GPU fast path (`trainer=gpu`),
   its seconds per update and final losses;
2. two seeded runs under `trainer.deterministic=true`, whose weights must be identical;
3. the benchmark's GPU rows against the plain fp32 loop (`python -m ganlab.bench --device cuda`),
   into its own file beside BENCHMARKS.md.

`--dry-run` prints the commands without running them (the suite checks that they compose),
and needs no GPU. The MNIST presets at full length are `make presets-mnist TRAINER=gpu
DEVICE=cuda` (docs/results.md), split with RUNS= to fit the device's time.

    python scripts/gpu_check.py --data ../shared/data --out outputs/gpu_check [--steps 300]
"""

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

PROCEDURES = ("dcgan", "dcgan64", "wgan_gp", "wgan", "cgan", "cdcgan", "cwgan_gp")
"""conf/model/ presets: every procedure, conditional ones included."""


def train(model: str, data: str, run_dir: Path, steps: int, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "ganlab.train", f"model={model}", "trainer=gpu",
        f"trainer.max_steps={steps}", f"data.root={data}", "data.splits=[test]",
        f"hydra.run.dir={run_dir}", "logger=csv", *extra,
    ]  # fmt: skip


Step = tuple[str, list[str], Path | None]
"""What it is, the command, and the run folder it trains into (None: not a training run)."""


def commands(data: str, out: Path, steps: int) -> list[Step]:
    """The steps in the order they run."""
    runs: list[Step] = []
    for model in PROCEDURES:
        run_dir = out / "train" / model
        runs.append((f"train {model}", train(model, data, run_dir, steps, "seed=0"), run_dir))
    same = ["trainer.deterministic=true", "seed=1"]
    for i in (1, 2):
        run_dir = out / "deterministic" / str(i)
        runs.append((f"deterministic {i}", train("dcgan", data, run_dir, 100, *same), run_dir))
    bench = [
        sys.executable, "-m", "ganlab.bench", "--device", "cuda", "--no-keras",
        "--data-root", data, "--output", str(out / "BENCHMARKS_gpu.md"),
    ]  # fmt: skip
    return [*runs, ("bench", bench, None)]


def same_weights(first: Path, second: Path) -> bool:
    import torch

    a, b = (torch.load(p / "checkpoints" / "last.ckpt", weights_only=True) for p in (first, second))
    return a["state_dict"].keys() == b["state_dict"].keys() and all(
        torch.equal(value, b["state_dict"][key]) for key, value in a["state_dict"].items()
    )


def row(what: str, seconds: float, run_dir: Path | None) -> str:
    record = json.loads((run_dir / "metrics.json").read_text()) if run_dir else {}
    steps = record.get("global_step")
    metrics = record.get("metrics", {})
    losses = ", ".join(f"{k} {v:.3g}" for k, v in metrics.items() if k.endswith("loss_epoch"))
    per_step = f"{seconds / steps:.4f}" if steps else ""
    return f"| {what} | {steps or ''} | {seconds:.1f} | {per_step} | {losses} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a data root holding MNIST/raw/")
    parser.add_argument("--out", type=Path, default=Path("outputs/gpu_check"))
    parser.add_argument("--steps", type=int, default=300, help="updates per procedure (300)")
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    args = parser.parse_args(argv)
    planned = commands(args.data, args.out, args.steps)
    if args.dry_run:
        for _, command, _ in planned:
            print("+ " + shlex.join(command))
        return 0
    lines = ["| run | updates | seconds | s/update | final losses |", "|---|---:|---:|---:|---|"]
    for what, command, run_dir in planned:
        started = time.monotonic()
        subprocess.run(command, check=True)
        lines.append(row(what, time.monotonic() - started, run_dir))
    deterministic = same_weights(*(args.out / "deterministic" / str(i) for i in (1, 2)))
    lines.append(f"\nSeeded runs under trainer.deterministic=true, identical: {deterministic}")
    (args.out / "gpu_check.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if deterministic else 1


if __name__ == "__main__":
    sys.exit(main())
