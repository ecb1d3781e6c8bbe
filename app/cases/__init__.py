"""Case work: the step registry (``steps``), the one function that runs a step (``service``) and
the helpers every surface shares (``access``). The case page (app/cases/views.py) and the API
(app/api/cases.py) are thin adapters over ``service.run_step``."""
