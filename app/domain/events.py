"""What the domain publishes; features subscribe. The domain calls nothing above it.

Signals are blinker's (the library Flask's own signals use). Receivers run synchronously, inside
the caller's transaction, after the domain has applied the change: what they write commits or
rolls back with the step that sent it, and a receiver that raises refuses the step.

Two signals, not one per step: ``status_changed`` for every transition (whatever step made it)
and ``step_taken`` for every step, its name and data in the payload. A receiver interested in one
step tests ``step``; a new step needs no new signal and no new subscription.

Who subscribes, each at app start (``create_app`` → ``init_extensions``):

- app/reminders ``install``: the applicant's SMS (queued in the SMS outbox) at each status change;
- app/cases/notices ``install``: the receiving unit's notice at each transfer.

What does not subscribe, and why: the audit trail (app/audit.py) and the statistics rollups
(app/ledger/rollup.py) follow every ORM write by session hooks, whoever makes it (imports, admin
screens, merges, the lifecycle), which a signal of the lifecycle could not see; the step's own
audit entry (its before and after, with any file) is the command's (app/cases/service.py). Files
never pass through the domain: a step's adapter (app/cases/steps.py) stores them (app/uploads.py)
and the domain records the fact (app/domain/attachments.py); S3 objects follow the transaction
through app/filestore.py's session hooks.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent by app/domain/lifecycle.py after a case's status changed and the change is in the
# timeline: sender = the case; keyword arguments ``session``, ``old`` and ``new`` (CaseStatus).
status_changed = _signals.signal("case-status-changed")

# Sent once per step (lifecycle.STEP_LABELS names them: "apply", "confirm", ..., "attach") after
# the step is applied, by ``lifecycle.publishes``: sender = the case; keyword arguments
# ``session``, ``step`` (its name), ``actor``, ``data`` (the step's arguments as the caller gave
# them, e.g. ``to_unit`` and ``note`` of "transfer"), ``result`` (what the step returned: the
# case, a timeline entry, a handover...) and ``before`` (the case's ``status``,
# ``handling_unit_id`` and ``specialist_id`` before the step; empty for "apply").
step_taken = _signals.signal("case-step-taken")
