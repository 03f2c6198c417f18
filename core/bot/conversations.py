"""Where each user is in a multi-step flow, shared by every serve process.

A flow is a name such as ``projects:rename`` and a small JSON object of what was
entered so far. ``/cancel`` clears it. Plugins and the core use the same store.
While the database is unreachable a per-process memory stands in, so a user can
still walk through a free model's steps in the process that serves them.

Inside ``one_update()`` (the router opens it around each update) a user's state is
read from the database at most once: the router reads it to find the flow's handler,
and every later ``get`` of the update — the handler's, a plugin's — is answered from
that copy, which ``set`` and ``clear`` keep true.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import json
import threading

from psycopg2.extras import Json

from core.db import DEGRADED_ERRORS, Database

_UNREAD = object()  # a state not read yet in this update

# user_id -> the state as this update knows it; None outside an update. A context
# variable, not an attribute of the store: webhook threads handle updates side by side.
_this_update: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "genbot_conversation_states", default=None)


class Conversations:
    def __init__(self, db: Database):
        self.db = db
        self._memory: dict[int, tuple[str, dict]] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def one_update(self):
        """Within the block, each user's state is read from the database once."""
        token = _this_update.set({})
        try:
            yield
        finally:
            _this_update.reset(token)

    @staticmethod
    def _know(user_id: int, state) -> None:
        known = _this_update.get()
        if known is not None:
            known[user_id] = copy.deepcopy(state)

    def get(self, user_id: int) -> tuple[str, dict] | None:
        known = _this_update.get()
        state = known.get(user_id, _UNREAD) if known is not None else _UNREAD
        if state is _UNREAD:
            state = self._read(user_id)
            self._know(user_id, state)
        return copy.deepcopy(state)  # type: ignore[return-value]  # _UNREAD was replaced above

    def _read(self, user_id: int) -> tuple[str, dict] | None:
        try:
            row = self.db.fetch_one("SELECT flow, data FROM conversation_state WHERE user_id = %s",
                                    (user_id,))
        except DEGRADED_ERRORS:
            with self._lock:
                state = self._memory.get(user_id)
            return copy.deepcopy(state) if state else None
        with self._lock:
            self._memory.pop(user_id, None)  # the database is back: it is the truth again
        if row is None:
            return None
        data = row[1] if isinstance(row[1], dict) else json.loads(row[1] or "{}")
        return row[0], data

    def set(self, user_id: int, flow: str, data: dict | None = None) -> None:
        try:
            self.db.execute(
                "INSERT INTO conversation_state (user_id, flow, data, updated_at) "
                "VALUES (%s, %s, %s, NOW()) ON CONFLICT (user_id) DO UPDATE "
                "SET flow = EXCLUDED.flow, data = EXCLUDED.data, updated_at = NOW()",
                (user_id, flow, Json(data or {})))
        except DEGRADED_ERRORS:
            with self._lock:
                self._memory[user_id] = (flow, copy.deepcopy(data or {}))
        self._know(user_id, (flow, data or {}))

    def clear(self, user_id: int, flow: str | None = None) -> bool:
        """Forget the user's flow (only ``flow``, when given). True if there was one."""
        with self._lock:
            state = self._memory.get(user_id)
            remembered = state is not None and (flow is None or state[0] == flow)
            if remembered:
                del self._memory[user_id]
        try:
            if flow is None:
                cleared = self.db.execute("DELETE FROM conversation_state WHERE user_id = %s",
                                          (user_id,)) > 0
            else:
                cleared = self.db.execute("DELETE FROM conversation_state WHERE user_id = %s "
                                          "AND flow = %s", (user_id, flow)) > 0
        except DEGRADED_ERRORS:
            cleared = remembered
        if cleared or flow is None:  # otherwise another flow, if any, is still there
            self._know(user_id, None)
        return cleared
