"""Bulk import of master data from Excel: units, departments, staff, service items, holidays.

specs.py describes each kind's sheets and columns; template.py writes the downloadable template;
validate.py and rules.py check every row before anything is written; apply.py writes in one
transaction (upserting by code); export.py writes the data back in the template's format;
jobs.py runs an import (inline or in a worker, app/tasks/imports.py); views.py holds the screens.
"""
