"""Tiny data sets written in the real on-disk layouts of the LEGO bricks and CelebA downloads
(and a user's image folder), so the data modules are tested on what they will meet."""

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from ganlab.data.celeba import ATTRIBUTES

BRICK_TYPES = ("3003 Brick 2x2", "3022 Plate 2x2", "2357 Brick corner 1x2x2")


def image_bytes(seed: int, size: tuple[int, int], mode: str, fmt: str) -> bytes:
    """A random image whose brightness grows with the seed, encoded as PNG or JPEG."""
    rng = np.random.default_rng(seed)
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    pixels = rng.integers(0, 60, size=(size[1], size[0], channels)) + (seed * 17) % 190
    image = Image.fromarray(pixels.astype(np.uint8).squeeze(-1) if channels == 1 else
                            pixels.astype(np.uint8), mode)  # fmt: skip
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def brick_files(per_type: int = 4) -> dict[str, bytes]:
    """'dataset/<type> <index><L|R>.png' -> RGBA 100×100 PNG (the renders are RGBA PNGs)."""
    files = {}
    for t, brick in enumerate(BRICK_TYPES):
        for i in range(per_type):
            name = f"dataset/{brick} {i // 2:03d}{'LR'[i % 2]}.png"
            files[name] = image_bytes(t * 10 + i, (100, 100), "RGBA", "PNG")
    return files


def write_bricks(root: Path, per_type: int = 4) -> Path:
    """ROOT/lego-brick-images/dataset/*.png, as the Kaggle zip unpacks."""
    for name, data in brick_files(per_type).items():
        path = root / "lego-brick-images" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def celeba_rows(count: int) -> list[tuple[str, int, list[int]]]:
    """(file, split, ±1 per attribute): splits 0/1/2 cycling, Blond_Hair on every third."""
    rows = []
    for i in range(count):
        values = [-1] * len(ATTRIBUTES)
        values[ATTRIBUTES.index("Blond_Hair")] = 1 if i % 3 == 0 else -1
        values[ATTRIBUTES.index("Smiling")] = 1 if i % 2 == 0 else -1
        rows.append((f"{i + 1:06d}.jpg", [0, 0, 0, 1, 2][i % 5], values))
    return rows


def write_celeba(root: Path, count: int = 20) -> Path:
    """ROOT/celeba/ in torchvision's layout: 178×218 JPEGs and the two annotation files,
    formatted like the originals (count line, names line, space-aligned ±1 columns)."""
    folder = root / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True, exist_ok=True)
    rows = celeba_rows(count)
    for i, (name, _, _) in enumerate(rows):
        data = image_bytes(i, (178, 218), "RGB", "JPEG")
        (folder / "img_align_celeba" / name).write_bytes(data)
    lines = [str(count), " ".join(ATTRIBUTES) + " "]
    lines += [f"{name} " + " ".join(f"{v:2d}" for v in values) for name, _, values in rows]
    (folder / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    partition = "".join(f"{name} {split}\n" for name, split, _ in rows)
    (folder / "list_eval_partition.txt").write_text(partition)
    return root


def celeba_kaggle_files(count: int = 20) -> dict[str, bytes]:
    """The Kaggle mirror's zip: img_align_celeba/img_align_celeba/*.jpg and CSV annotations."""
    rows = celeba_rows(count)
    files = {
        f"img_align_celeba/img_align_celeba/{name}": image_bytes(i, (178, 218), "RGB", "JPEG")
        for i, (name, _, _) in enumerate(rows)
    }
    for filename, header, body in (
        ("list_attr_celeba.csv", ["image_id", *ATTRIBUTES], [[n, *v] for n, _, v in rows]),
        ("list_eval_partition.csv", ["image_id", "partition"], [[n, s] for n, s, _ in rows]),
    ):
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(body)
        files[filename] = text.getvalue().encode()
    return files


def write_folder(root: Path, classes: dict[str, int], corrupt: bool = True) -> Path:
    """ROOT/<class>/<i>.png|.jpg (mixed sizes and modes), plus one file that is not an image
    and one truncated PNG when `corrupt`."""
    for c, (name, count) in enumerate(classes.items()):
        for i in range(count):
            size = (40 + 8 * i, 32)
            fmt, suffix = ("PNG", "png") if i % 2 else ("JPEG", "jpg")
            data = image_bytes(c * 10 + i, size, "RGB" if i % 3 else "L", fmt)
            path = (
                root / name / "nested" / f"{i}.{suffix}"
                if i == 0
                else root / name / f"{i}.{suffix}"
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    if corrupt:
        first = next(iter(classes))
        (root / first / "garbage.png").write_bytes(b"this is not a PNG")
        whole = image_bytes(99, (64, 64), "RGB", "PNG")
        (root / first / "truncated.png").write_bytes(whole[: len(whole) // 2])
    return root
