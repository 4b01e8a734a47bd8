"""How many lines a reader follows through one default DCGAN step, from batch to both optimizer
steps: every ganlab function the step calls, found by running it, not by a hand-kept list.

Builds `model=dcgan` as `python -m ganlab.train` composes it (random 28x28 images instead of
MNIST), trains two steps that write their logs, records every call made inside
`GAN.training_step` to the procedure's files (`ganlab/models/`, `ganlab/losses.py`, the health
signals in `ganlab/diagnosis/signals.py`; not the networks, not Lightning or torch), and prints
each function's `inspect.getsource` line count, the files and the total.

    PYTHONPATH=$PWD .venv/bin/python scripts/step_lines.py
    cd ../main && PYTHONPATH=$PWD .venv/bin/python ../wt-models/scripts/step_lines.py  # another
"""

import inspect
import sys
import tempfile
from pathlib import Path

import lightning as L
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from torch.utils.data import DataLoader, TensorDataset

import ganlab

REPO = Path(ganlab.__file__).resolve().parents[1]
"""The checkout whose ganlab is imported (PYTHONPATH), so another checkout can be measured too."""
READ = ("ganlab/models/", "ganlab/losses.py", "ganlab/diagnosis/signals.py")
NESTED = ("<genexpr>", "<lambda>", "<listcomp>", "<dictcomp>", "<setcomp>")


def default_dcgan() -> L.LightningModule:
    with initialize_config_dir(str(REPO / "conf"), version_base=None):
        cfg = compose("train", ["model=dcgan"])
    return instantiate(cfg.model, image_shape=[1, 28, 28], num_classes=10, _recursive_=False)


def called_in_step(model: L.LightningModule) -> dict:
    """The code objects the procedure's files run inside `training_step`, in call order."""
    step_code = type(model).training_step.__code__
    seen: dict = {}
    depth = 0

    def profile(frame, event, arg):
        nonlocal depth
        code = frame.f_code
        if code is step_code:
            depth += {"call": 1, "return": -1}.get(event, 0)
        ours = code.co_filename.startswith(tuple(str(REPO / part) for part in READ))
        if depth and event == "call" and ours and code.co_name not in NESTED:
            seen.setdefault(code, None)

    images = torch.rand(16, 1, 28, 28) * 2 - 1
    loader = DataLoader(TensorDataset(images, torch.zeros(16, dtype=torch.long)), batch_size=8)
    with tempfile.TemporaryDirectory() as folder:
        trainer = L.Trainer(
            max_steps=2, log_every_n_steps=1, logger=False, enable_checkpointing=False,
            enable_progress_bar=False, enable_model_summary=False, default_root_dir=folder,
            accelerator="cpu",
        )  # fmt: skip
        sys.setprofile(profile)
        try:
            trainer.fit(model, loader)
        finally:
            sys.setprofile(None)
    return seen


def main() -> None:
    torch.manual_seed(0)
    total, files = 0, set()
    for code in called_in_step(default_dcgan()):
        lines = len(inspect.getsource(code).splitlines())
        path = Path(code.co_filename).relative_to(REPO)
        total += lines
        files.add(path)
        print(f"{lines:4d}  {path}:{code.co_firstlineno}  {code.co_qualname}")
    print(f"{total:4d}  lines in {len(files)} files: {', '.join(sorted(map(str, files)))}")


if __name__ == "__main__":
    main()
