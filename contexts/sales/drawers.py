"""Loading and saving a till session's drawer (`domain/drawer.py`) as its command-side row
(`TillDrawer`), in the command's transaction.

`lock` takes the open session's row FOR UPDATE: the sales, payments, refunds and voids of one till
wait for each other on it (as they already do on the till's receipt counter), never on a stream
version, so nothing conflicts and nothing is retried. A close takes the same lock, so a sale that
waited on it finds the session closed.

Sessions opened before the drawer row existed have none: their running totals are in their
stream (`Session*Recorded` events). The first command that needs such a session's drawer folds
the stream (`TillSession` replays them) and inserts the row; from then on the row is the truth.
No migration walks the streams: sessions are short, and the few open at the upgrade are folded
once, when next used. `current` does the same fold for a reader without writing."""

from __future__ import annotations

from infrastructure.commands.bus import UnitOfWork
from kernel.errors import Conflict

from .command_side import OpenSession, TillDrawer
from .domain.drawer import Drawer
from .domain.till import TillSession

_FIELDS = [f.name for f in TillDrawer._meta.concrete_fields if f.name != "session_id"]


def _drawer(row: TillDrawer) -> Drawer:
    return Drawer.from_state({name: getattr(row, name) for name in ["session_id", *_FIELDS]})


def open_session(uow: UnitOfWork, till_id, *, lock=False) -> OpenSession:
    """The till's open session's row (locked until commit with `lock`), or a 409 when it has none."""
    rows = OpenSession.objects.using(uow.db)
    row = (rows.select_for_update() if lock else rows).filter(till_id=till_id).first()
    if row is None:
        raise Conflict(f"Till {till_id} has no open session; open the till first.", field="till_id",
                       code="NoOpenSession")
    return row


def create(uow: UnitOfWork, drawer: Drawer) -> None:
    """The row of a session just opened (or of an older session, folded from its stream)."""
    TillDrawer.objects.using(uow.db).bulk_create([TillDrawer(**drawer.to_state())], ignore_conflicts=True)


def lock(uow: UnitOfWork, till_id) -> Drawer:
    """The drawer of the till's open session, its row locked until commit."""
    rows = TillDrawer.objects.using(uow.db).select_for_update()
    row = rows.filter(till_id=till_id, open=True).first()
    if row is None:
        # A session opened before drawer rows: made from its stream, once.
        session_id = open_session(uow, till_id).session_id
        create(uow, uow.repository(TillSession).get(session_id).drawer)
        row = rows.filter(session_id=session_id, open=True).first()
        if row is None:  # closed between the two reads
            open_session(uow, till_id)  # answers NoOpenSession
            raise Conflict("This till session is closed.", code="SessionClosed")
    return _drawer(row)


def save(uow: UnitOfWork, drawer: Drawer) -> None:
    state = drawer.to_state()
    TillDrawer.objects.using(uow.db).filter(session_id=drawer.session_id).update(
        **{name: state[name] for name in _FIELDS})


def current(session_ids) -> dict:
    """{session id: drawer} of open sessions, for a reader: the rows, and for a session opened
    before drawer rows that no command has used since, its stream folded (nothing written)."""
    from infrastructure.aggregates.repository import Repository

    found = {row.session_id: _drawer(row) for row in TillDrawer.objects.filter(session_id__in=session_ids)}
    for session_id in set(session_ids) - set(found):
        session = Repository(TillSession).get_or_new(session_id)
        if session.exists:
            found[session_id] = session.drawer
    return found


def with_running_figures(sessions) -> list:
    """Session rows of the read side (`TillSessionView`) with, for the open ones, their drawer's
    running figures set on them (not saved): what the sessions API and the back office show. A
    closed session's row already has its Z-report's."""
    rows = list(sessions)
    found = current([row.session_id for row in rows if row.status == "open"])
    for row in rows:
        if drawer := found.get(row.session_id):
            for name, value in drawer.figures().items():
                setattr(row, name, value)
    return rows
