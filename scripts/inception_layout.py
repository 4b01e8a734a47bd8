"""What the FID Inception costs per image on this machine: `python scripts/inception_layout.py`.

ganlab's `InceptionFeatures` (NHWC convolutions) against the same network as torchmetrics
builds it (NCHW), in alternating blocks in one process so both see the same machine state,
on random 28×28 grey images (the cost does not depend on their content: every image is
resized to 299×299). Prints the median seconds per image of each, their ratio and the
largest difference between their features.
"""

import argparse
import statistics
import time

import torch

from ganlab.metrics.inception import InceptionFeatures


def seconds_per_image(network: torch.nn.Module, images: torch.Tensor) -> float:
    start = time.perf_counter()
    network(images)
    return (time.perf_counter() - start) / len(images)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=32, help="images per timed call (32)")
    parser.add_argument("--blocks", type=int, default=4, help="timed calls of each (4)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    images = torch.randint(0, 256, (args.batch, 1, 28, 28), dtype=torch.uint8)
    ganlab = InceptionFeatures()
    stock = InceptionFeatures()
    stock.net.to(memory_format=torch.contiguous_format)
    difference = (ganlab(images[:4]) - stock(images[:4])).abs().max().item()
    times: dict[str, list[float]] = {"ganlab (NHWC)": [], "torchmetrics layout (NCHW)": []}
    for _ in range(args.blocks):
        times["ganlab (NHWC)"].append(seconds_per_image(ganlab, images))
        times["torchmetrics layout (NCHW)"].append(seconds_per_image(stock, images))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f"{name}: {median:.3f} s/image (median of {args.blocks} calls of {args.batch})")
    ganlab_time, stock_time = medians.values()
    print(f"ganlab / stock: {ganlab_time / stock_time:.2f}")
    print(f"largest feature difference: {difference:.1e}")


if __name__ == "__main__":
    main()
