"""The buttons of generating, and of 🗂 История: each kind of ``callback_data`` as a type.

``gen:…`` buttons are the ordering flow's and a job's (cancel, repeat); ``hist:…`` are
🗂 История's. Every module that builds or reads one uses these (``core.bot.buttons``).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.bot.buttons import ButtonData, flag

# A button may carry "p" (pending): the user typed a prompt first and is now choosing
# where it goes; the chosen model takes it.


@dataclass(frozen=True)
class PickModel(ButtonData):
    code = "gen:m"
    model_id: str
    pending: bool = flag("p")


@dataclass(frozen=True)
class PickCategory(ButtonData):
    code = "gen:k"
    category: str
    pending: bool = flag("p")


@dataclass(frozen=True)
class ShowFree(ButtonData):
    code = "gen:free"
    pending: bool = flag("p")


@dataclass(frozen=True)
class ShowCategories(ButtonData):
    code = "gen:cats"
    pending: bool = flag("p")


@dataclass(frozen=True)
class PickChoice(ButtonData):
    """One of a choice input's options, at the step it was offered for."""
    code = "gen:c"
    index: int
    step: int | None = None


@dataclass(frozen=True)
class SkipInput(ButtonData):
    code = "gen:s"
    step: int | None = None


@dataclass(frozen=True)
class Confirm(ButtonData):
    """"✅ Запустить": the draft's token makes a double tap one job."""
    code = "gen:go"
    token: str


@dataclass(frozen=True)
class CancelJob(ButtonData):
    code = "gen:cancel"
    job_id: int


@dataclass(frozen=True)
class StopDraftJob(ButtonData):
    """⛔ on a progress message sent before its job had an id: found by its draft."""
    code = "gen:stop"
    token: str


@dataclass(frozen=True)
class AcceptOffer(ButtonData):
    code = "gen:o"
    token: str


@dataclass(frozen=True)
class Repeat(ButtonData):
    code = "gen:r"
    job_id: int


@dataclass(frozen=True)
class Dismiss(ButtonData):
    code = "gen:x"


@dataclass(frozen=True)
class ToMenu(ButtonData):
    code = "gen:menu"


@dataclass(frozen=True)
class HistoryPage(ButtonData):
    code = "hist:p"
    page: int


@dataclass(frozen=True)
class PastJob(ButtonData):
    code = "hist:o"
    job_id: int


GENERATION_BUTTONS = (ShowCategories, CancelJob, Confirm, ShowFree, ToMenu, StopDraftJob, PickModel,
                      PickCategory, PickChoice, SkipInput, AcceptOffer, Repeat, Dismiss)
HISTORY_BUTTONS = (HistoryPage, PastJob)
