"""Specialist assessment (考核) and written periodic reports (月报 / 季报).

Both read their figures from app/ledger/figures.py (the ledger's own selection: the cases applied
in the period inside the scope), so an assessment, a report, the dashboard and the ledger agree.
"""
