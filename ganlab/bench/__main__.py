"""`python -m ganlab.bench`: time ganlab against plain PyTorch (and Keras) and write the
table to BENCHMARKS.md. `--help` lists the options; `make bench ARGS='...'` passes them."""

import argparse
import os
import shlex
import sys
from pathlib import Path

import torch

from ganlab.bench import report
from ganlab.bench.rows import ROW_KEYS, rows_named
from ganlab.bench.run import run_row
from ganlab.data.mnist import default_root
from ganlab.errors import GanlabError
from ganlab.run.cli import run_reporting_errors


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ganlab.bench",
        description="Time ganlab's training step against a plain PyTorch loop (and the "
        "TensorFlow tutorial in Keras when TensorFlow is installed).",
    )
    parser.add_argument("--rows", nargs="+", choices=ROW_KEYS, help="rows to run (all)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None, help="cuda if any")
    parser.add_argument("--steps", type=int, help="timed steps per contender (per row)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (3)")
    parser.add_argument("--block", type=int, default=5, help="steps per interleaved block (5)")
    parser.add_argument(
        "--batch", nargs="+", default=[], metavar="ROW=SIZE", help="batch size of a row"
    )
    parser.add_argument("--data-root", default=default_root(), help="MNIST root (GANLAB_DATA)")
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras contender")
    parser.add_argument(
        "--threads", type=int, help="CPU threads for torch and TensorFlow (default: one per core)"
    )
    parser.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"))
    parser.add_argument(
        "overrides", nargs="*", help="extra Hydra overrides for ganlab, e.g. model.compile=true"
    )
    return parser.parse_args(argv)


def batch_sizes(pairs: list[str]) -> dict[str, int]:
    sizes = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key not in ROW_KEYS or not value.isdigit() or int(value) < 1:
            raise GanlabError(f"--batch wants ROW=SIZE with ROW in {list(ROW_KEYS)}, got {pair}")
        sizes[key] = int(value)
    return sizes


def main(argv: list[str] | None = None) -> list[report.RowResult]:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    sizes = batch_sizes(args.batch)
    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    results, memory_what = [], ""
    for row in rows_named(args.rows):
        steps = args.steps or (row.cpu_steps if device == "cpu" else 50)
        batch = sizes.get(row.key, row.batch(device))
        print(f"ganlab.bench: {row.title}, batch {batch}, {steps} steps", flush=True)
        result, what = run_row(
            row,
            device,
            batch,
            args.warmup,
            steps,
            args.block,
            args.data_root,
            args.overrides,
            with_keras=not args.no_keras,
            threads=args.threads,
        )
        results.append(result)
        memory_what = memory_what or what
    load = (load_before, os.getloadavg()) if load_before else None
    command = shlex.join(["python", "-m", "ganlab.bench", *argv])
    body = report.section(torch.device(device), command, results, memory_what, load)
    report.write(args.output, torch.device(device), body)
    print(body)
    return results


if __name__ == "__main__":
    run_reporting_errors(main)
