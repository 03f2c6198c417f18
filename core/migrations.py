"""Where ``Migrator`` was before core/ had floors (now ``core.ops.migrations``).

Kept so that plugins' tests written against the previous release (examples/genbot-notes
does ``from core.migrations import Migrator``) still run; new code imports
``core.ops.migrations``. Not a floor of its own: tests/test_floors.py names it."""

from core.ops.migrations import *  # noqa: F403
from core.ops.migrations import Migrator  # noqa: F401
