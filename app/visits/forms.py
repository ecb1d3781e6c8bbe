"""The home-visit steps' page forms (field names are the bodies', app/visits/schemas.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.cases.forms import MultiCheckboxField, StepForm


class PlanHomeVisitForm(StepForm):
    planned_at = DateTimeLocalField(
        _l("Visit time"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=200)])
    staff = MultiCheckboxField(_l("Staff going"), coerce=int)
    purpose = TextAreaField(_l("Purpose of the visit"), validators=[Optional(), Length(max=2000)])


class RecordHomeVisitForm(StepForm):
    visit = SelectField(_l("Home visit"), coerce=int)
    done_at = DateTimeLocalField(
        _l("Done at"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    outcome = TextAreaField(_l("Outcome"), validators=[DataRequired(), Length(max=2000)])
