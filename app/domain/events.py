"""What the domain publishes; features subscribe. The domain calls nothing above it.

Signals are blinker's (the library Flask's own signals use). Receivers run synchronously, inside
the caller's transaction: what they write commits or rolls back with the step that sent it.
Subscribers connect in the application factory (app/__init__.py), e.g. app/reminders ``install``.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent by app/domain/lifecycle.py after a case's status changed and the change is in the
# timeline: sender = the case; keyword arguments ``session``, ``old`` and ``new`` (CaseStatus).
status_changed = _signals.signal("case-status-changed")
