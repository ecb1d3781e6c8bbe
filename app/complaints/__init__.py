"""The “办不成事” window: complaints that something could not be done in the hall.

- app/domain/complaints.py: the lifecycle (intake → coordinating → transferred → called back →
  archived), the one owner of a complaint's status;
- service.py: the one path for every surface (desk screens, public page, API, demo seed) to
  take in a complaint and run a step, scoped, locked and committed once;
- queries.py: the ledger's filters, the statistics block and the export, all through app/scope.py;
- views.py: the desk screens and the public page; demo.py: the demo complaints.
"""
