"""`python scripts/interruptions.py`: the slow checks of what a signal or a kill costs.

- `save-cost`: the size and write time of the default MNIST DCGAN's `last.ckpt` through the
  atomic writer (what `callbacks.last_checkpoint.max_unsaved_*` are sized from).
- `signals`: one run interrupted over and over, SIGTERM or SIGINT at random moments (during
  start-up and exit too, where Python's default action applies and nothing needs saving),
  resumed with `resume=true` each time until it finishes; its final `last.ckpt` must be
  bit-identical to an uninterrupted run's. Prints the outcome of every attempt (exit code and
  what happened) and exits 1 if the weights differ.

Both run `python -m ganlab.train` as a user would, on the MNIST test split under `--data-root`.
"""

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import torch

from ganlab.data.mnist import default_root
from ganlab.run.atomic import atomic_torch_save

SMALL_RUN = [
    "data.splits=[test]",
    "trainer.accelerator=cpu",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
    "trainer.deterministic=true",
    "logger=none",
    "seed=7",
    "model=dcgan64",
    "data.image_size=28",
    "model.latent_dim=16",
    "model.sample_count=16",
    "data.batch_size=32",
    *(
        f"model.net.{net}.{key}={value}"
        for net in ("generator", "discriminator")
        for key, value in (("base_channels", 8), ("max_channels", 32))
    ),
]
OUTCOMES = {
    0: "finished",
    128 + signal.SIGTERM: "SIGTERM: saved between steps, exit 143",
    128 + signal.SIGINT: "SIGINT: saved between steps, exit 130",
    -signal.SIGTERM: "SIGTERM outside training (start-up, exit): Python's default, killed",
    1: "SIGINT outside training (start-up, exit): KeyboardInterrupt",
    -signal.SIGINT: "SIGINT outside training (start-up, exit): KeyboardInterrupt",
}


def train(run_dir: Path, *overrides: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "ganlab.train", f"hydra.run.dir={run_dir}", *overrides]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for_the_job(run: subprocess.Popen, run_dir: Path, since: float) -> float:
    """When Hydra started the job (wrote `.hydra/overrides.yaml`), or the process ended; then
    data loading and training follow, the window a signal is aimed at."""
    overrides = run_dir / ".hydra" / "overrides.yaml"
    while run.poll() is None:
        if overrides.is_file() and overrides.stat().st_mtime >= since:
            break
        time.sleep(0.02)
    return time.time()


def last(run_dir: Path) -> dict:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)


def saved_step(run_dir: Path) -> int:
    """The step of the run's `last.ckpt` (0 before its first)."""
    path = run_dir / "checkpoints" / "last.ckpt"
    return torch.load(path, weights_only=True)["global_step"] if path.is_file() else 0


def same_weights(ours: dict, theirs: dict) -> bool:
    return ours["global_step"] == theirs["global_step"] and all(
        torch.equal(value, theirs["state_dict"][key]) for key, value in ours["state_dict"].items()
    )


def save_cost(data_root: str, repeats: int) -> None:
    run_dir = Path(tempfile.mkdtemp()) / "run"
    default_model = [f"data.root={data_root}", "data.splits=[test]", "trainer.max_steps=2",
                     "logger=none", "trainer.accelerator=cpu"]  # fmt: skip
    run = train(run_dir, *default_model)
    if run.wait() != 0:
        sys.exit(f"training failed: {run.stderr.read()[-2000:]}")
    path = run_dir / "checkpoints" / "last.ckpt"
    checkpoint, times = torch.load(path, weights_only=True), []
    for _ in range(repeats):
        started = time.perf_counter()
        atomic_torch_save(checkpoint, run_dir / "checkpoints" / "timed.ckpt")
        times.append(time.perf_counter() - started)
    print(
        f"default MNIST DCGAN last.ckpt: {path.stat().st_size / 2**20:.1f} MiB, atomic save "
        f"median {statistics.median(times):.3f} s, worst {max(times):.3f} s of {repeats}"
    )


def signals(data_root: str, steps: int, attempts: int, seed: int) -> bool:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp())
    common = [f"data.root={data_root}", *SMALL_RUN, f"trainer.max_steps={steps}"]
    reference = train(work / "reference", *common)
    started = wait_for_the_job(reference, work / "reference", time.time() - 1)
    if reference.wait() != 0:
        sys.exit(f"the reference run failed: {reference.stderr.read()[-2000:]}")
    window = time.time() - started
    print(f"reference: {steps} steps, {window:.1f} s from the job's start to its exit")

    run_dir, outcomes = work / "interrupted", Counter()
    for attempt in range(attempts):
        since = time.time() - 1
        run = train(run_dir, *common, "resume=true")
        wait_for_the_job(run, run_dir, since)
        time.sleep(rng.uniform(0, window) * (steps - saved_step(run_dir)) / steps)
        chosen = rng.choice((signal.SIGTERM, signal.SIGINT))
        if run.poll() is None:
            run.send_signal(chosen)
        code = run.wait()
        step = saved_step(run_dir)
        outcome = OUTCOMES.get(code, f"unexpected exit {code}: {run.stderr.read()[-500:]}")
        outcomes[outcome] += 1
        print(f"attempt {attempt + 1}: {chosen.name} -> exit {code} ({outcome}), last.ckpt {step}")
        if code == 0:
            break
    final = train(run_dir, *common, "resume=true").wait()  # finishes, or finds nothing to do
    if final != 0:
        outcomes[f"unexpected exit {final} on the final resume"] += 1
    identical = same_weights(last(run_dir), last(work / "reference"))
    print("\noutcome | count\n---|---")
    for outcome, count in outcomes.most_common():
        print(f"{outcome} | {count}")
    print(f"\nfinal weights bit-identical to the uninterrupted run: {identical}")
    return identical


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("check", choices=("save-cost", "signals"))
    parser.add_argument("--data-root", default=os.environ.get("GANLAB_DATA", default_root()))
    parser.add_argument("--repeats", type=int, default=10, help="save-cost: saves timed (10)")
    parser.add_argument("--steps", type=int, default=40, help="signals: steps per run (40)")
    parser.add_argument("--attempts", type=int, default=12, help="signals: most signals (12)")
    parser.add_argument("--seed", type=int, default=0, help="signals: when and which signals")
    options = parser.parse_args(argv)
    if options.check == "save-cost":
        save_cost(options.data_root, options.repeats)
    elif not signals(options.data_root, options.steps, options.attempts, options.seed):
        sys.exit(1)


if __name__ == "__main__":
    main()
