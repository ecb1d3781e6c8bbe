"""The work ledger (工作台账): the ledger of every case, its statistics and periodic summaries.

``queries`` and ``stats`` read (aggregate SQL, always inside the user's scope), ``export`` writes
.xlsx and CSV, ``summaries`` makes the monthly and quarterly reports, ``views`` are the screens.
"""
