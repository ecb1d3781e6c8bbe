"""The project-team steps' page forms (field names are the bodies', app/projects/schemas.py)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.cases.forms import StepForm


def _optional_id(value):
    """A select whose blank choice means "none"."""
    if value in (None, "", "None"):
        return None
    return int(value)


class ProjectContactForm(StepForm):
    contact_name = StringField(
        _l("Enterprise contact"), validators=[DataRequired(), Length(max=50)]
    )
    contact_phone = StringField(_l("Contact phone"), validators=[DataRequired(), Length(max=20)])


class AddLiaisonForm(StepForm):
    department = SelectField(_l("Department"), coerce=int)
    person = StringField(_l("Liaison"), validators=[DataRequired(), Length(max=50)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=20)])


class RemoveLiaisonForm(StepForm):
    liaison = SelectField(_l("Department liaison"), coerce=int)


class ProjectLogForm(StepForm):
    on = DateField(_l("Date"), validators=[InputRequired()], default=dt.date.today)
    text = TextAreaField(_l("What happened"), validators=[DataRequired(), Length(max=2000)])


class RaiseIssueForm(StepForm):
    title = TextAreaField(_l("Issue"), validators=[DataRequired(), Length(max=2000)])
    department = SelectField(_l("Owner department"), coerce=_optional_id, validators=[Optional()])
    due_on = DateField(_l("Due date"), validators=[InputRequired()])


class SolveIssueForm(StepForm):
    issue = SelectField(_l("Issue"), coerce=int)
    solution = TextAreaField(_l("How it was solved"), validators=[DataRequired(), Length(max=2000)])
