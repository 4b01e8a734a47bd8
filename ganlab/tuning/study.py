"""A study's folder and its Optuna journal: one study per folder, continued by running the
same command again.

The folder follows ganlab's run-folder rules (docs/reliability.md): marked as ganlab's when
created, refused when it holds files ganlab did not make, locked while a tuner works in it.
The study lives in `study.journal` (Optuna's file journal: no database), its settings with
it, so a continuation with other settings is refused rather than mixed in.
"""

from pathlib import Path
from typing import Any

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial, TrialState

from ganlab.errors import UsageError
from ganlab.run.folder import MARKER, check_owned
from ganlab.sampling.files import writable_folder

JOURNAL = "study.journal"
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
"""The trials that count towards `n_trials`; a failed one is run again."""


def study_folder(folder: str | Path) -> Path:
    """`out`, created and marked as ganlab's, or refused when it holds files ganlab did not
    make (checked before anything is written)."""
    folder = Path(folder).expanduser().resolve()
    check_owned(folder, fix="choose another out= or study_name=")
    writable_folder(folder)
    if not (folder / MARKER).is_file():
        (folder / MARKER).write_text("a ganlab study folder: ganlab writes only here\n")
    return folder


def journal_storage(folder: Path) -> JournalStorage:
    return JournalStorage(JournalFileBackend(str(folder / JOURNAL)))


def open_study(folder: Path, name: str, direction: str, settings: dict[str, Any]) -> optuna.Study:
    """The folder's study, created on the first run; a later run must name the same study
    and bring the same settings."""
    storage = journal_storage(folder)
    names = optuna.get_all_study_names(storage)
    if names and names != [name]:
        raise UsageError(
            f"{folder} holds the study {names[0]!r}: continue it with study_name={names[0]}, or "
            f"give study {name!r} a folder of its own (out=)"
        )
    study = optuna.create_study(
        storage=storage, study_name=name, direction=direction, load_if_exists=True
    )
    started_with = study.user_attrs.get("settings")
    if started_with is None:
        study.set_user_attr("settings", settings)
    elif started_with != settings:
        changed = [key for key in settings if settings[key] != started_with.get(key)]
        raise UsageError(
            f"the study {name!r} in {folder} was started with other settings ("
            + "; ".join(f"{k} was {started_with.get(k)}, now {settings[k]}" for k in changed)
            + "): continue it with those, or start another study with study_name=OTHER"
        )
    return study


def retry_unfinished(study: optuna.Study) -> list[int]:
    """Mark failed the trials a stopped tuner left running (the folder's lock says none is
    alive) and queue their parameters to run again; the numbers of those trials."""
    left = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for trial in left:
        study.tell(trial.number, state=TrialState.FAIL)
        study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
    return [trial.number for trial in left]


def finished(study: optuna.Study) -> list[FrozenTrial]:
    return study.get_trials(deepcopy=False, states=FINISHED)
