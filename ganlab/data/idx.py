"""The IDX format MNIST ships in, read defensively: a file that is not what it claims to be
(truncated, not gzip, a wrong magic number, a header that promises more bytes than the file
holds) stops the run with one line naming the file and what is wrong, instead of a
traceback from deep inside a reader (or an `IndexError` mid-training)."""

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from ganlab.errors import CorruptDataError

UNSIGNED_BYTE = 0x08
HEADER = struct.Struct(">HBB")
"""Two zero bytes, the element type (0x08: unsigned byte) and the number of dimensions."""


def corrupt(path: Path, problem: str) -> CorruptDataError:
    return CorruptDataError(
        f"{path} {problem}: it is not a usable MNIST IDX file; delete it and download it again "
        "(data.download=true), or put an intact copy there"
    )


def file_bytes(path: Path) -> bytes:
    """The file's contents, gunzipped when it ends in .gz."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise corrupt(path, f"cannot be read ({error.strerror or error})") from None
    if path.suffix != ".gz":
        return data
    try:
        return gzip.decompress(data)
    except gzip.BadGzipFile:
        raise corrupt(path, "is not gzip data (its name ends in .gz)") from None
    except (EOFError, zlib.error) as error:
        raise corrupt(path, f"is a truncated or damaged gzip file ({error})") from None


def read_idx(path: Path, ndim: int) -> torch.Tensor:
    """An uint8 IDX array of `ndim` dimensions (3: images, 1: labels) from `path`."""
    data = file_bytes(path)
    if len(data) < HEADER.size:
        raise corrupt(path, f"holds {len(data)} bytes, too few for an IDX header")
    zero, kind, dims = HEADER.unpack_from(data)
    magic = int.from_bytes(data[:4], "big")
    expected = (UNSIGNED_BYTE << 8) | ndim
    if zero != 0 or kind != UNSIGNED_BYTE or dims != ndim:
        raise corrupt(path, f"has the magic number 0x{magic:08x}, not 0x{expected:08x}")
    header_size = HEADER.size + 4 * ndim
    if len(data) < header_size:
        raise corrupt(path, "ends inside its header")
    shape = struct.unpack_from(f">{ndim}I", data, HEADER.size)
    expected_bytes = int(np.prod(shape, dtype=np.int64))
    body = len(data) - header_size
    if body != expected_bytes:
        state = "is truncated" if body < expected_bytes else "has trailing bytes"
        raise corrupt(
            path, f"{state}: its header promises {shape} = {expected_bytes} bytes, it holds {body}"
        )
    array = np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape)
    return torch.from_numpy(array.copy())


def read_split(
    images_path: Path, labels_path: Path, classes: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images (N, 1, H, W) and int64 labels (N,), checked to agree."""
    images = read_idx(images_path, 3)
    labels = read_idx(labels_path, 1)
    if len(images) != len(labels):
        raise CorruptDataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} "
            "labels: the two files are from different downloads or one is damaged; replace "
            "both with an intact pair"
        )
    if len(labels) and int(labels.max()) >= classes:
        raise corrupt(labels_path, f"holds the label {int(labels.max())}, outside 0-{classes - 1}")
    return images.unsqueeze(1), labels.long()
