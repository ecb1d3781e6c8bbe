"""Home visits (上门服务): the steps' forms and bodies, the print page, the case page's section,
the reminders and the demo case. The rules are in app/domain/visits.py."""
