"""The work ledger (工作台账): the ledger of every case, its statistics and periodic summaries.

``queries`` and ``stats`` read (aggregate SQL, always inside the user's scope), ``export`` writes
.xlsx and CSV, ``summaries`` makes the monthly and quarterly reports, ``views`` are the screens.
"""


def register(appbuilder) -> None:
    """Add the ledger screens (FEATURE_MODULES entry point)."""
    from app.ledger.views import register as register_views

    register_views(appbuilder)
