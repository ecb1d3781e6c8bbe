"""The forms of a case's steps: what a specialist fills in on the case's page.

Each form carries the case's ``version`` so a save over someone else's newer change is refused
with the typed input kept (optimistic locking).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    FileField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app import pickers
from app.domain import clock
from app.domain.hotline import normalize_ticket, ticket_error
from app.enums import (
    AttachmentKind,
    CaseChannel,
    ContactChannel,
    EvaluationChannel,
    EvaluationStage,
    HelpType,
    Rating,
    ServiceKind,
    SuspensionReason,
    TerminationReason,
)
from app.extensions import db


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def enum_choices(enum_cls, blank: bool = False):
    choices = [(m.value, m.label) for m in enum_cls]
    return [("", "—")] + choices if blank else choices


class StepForm(FlaskForm):
    version = HiddenField()
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class ConfirmForm(StepForm):
    process_explained = BooleanField(_l("Process explained to the applicant"))
    applicant_signed = BooleanField(_l("Applicant signed the entrustment"))
    received = MultiCheckboxField(_l("Materials received"), coerce=int)


class SubmitForm(StepForm):
    pass


class NoticeForm(StepForm):
    deadline = DateField(_l("Deadline for the materials"), validators=[InputRequired()])
    repeat_reason = TextAreaField(
        _l("Reason for a repeat notice"), validators=[Optional(), Length(max=1000)]
    )


class SupplementForm(StepForm):
    supplied = MultiCheckboxField(_l("Materials supplied"), coerce=int)


class UpdateForm(StepForm):
    note = TextAreaField(
        _l("Progress at the window"), validators=[DataRequired(), Length(max=2000)]
    )


class ContactForm(StepForm):
    channel = SelectField(_l("Channel"), choices=enum_choices(ContactChannel))
    note = TextAreaField(_l("What was said"), validators=[DataRequired(), Length(max=2000)])


class FeeGuidanceForm(StepForm):
    payee = StringField(_l("Paid to"), validators=[DataRequired(), Length(max=100)])
    amount = DecimalField(
        _l("Amount (yuan)"), places=2, validators=[InputRequired(), NumberRange(min=0)]
    )
    note = TextAreaField(_l("Guidance given"), validators=[DataRequired(), Length(max=2000)])


class ProblemForm(StepForm):
    category = SelectField(_l("Problem category"), coerce=int)
    note = TextAreaField(_l("Problem"), validators=[DataRequired(), Length(max=2000)])


class ResolveProblemForm(StepForm):
    problem = SelectField(_l("Problem"), coerce=int)
    note = TextAreaField(_l("How it was solved"), validators=[DataRequired(), Length(max=2000)])


class StewardForm(StepForm):
    steward = SelectField(_l("Project steward"), coerce=int)


class VoidForm(StepForm):
    reason = TextAreaField(
        _l("Why the case is voided (entered by mistake…)"),
        validators=[DataRequired(), Length(max=2000)],
    )


class TransferForm(StepForm):
    to_unit = SelectField(_l("Transfer to"), coerce=int)


class AssignForm(StepForm):
    specialist = SelectField(_l("Specialist"), coerce=int)


class ExtendForm(StepForm):
    extra_days = IntegerField(
        _l("Extra working days"), validators=[InputRequired(), NumberRange(min=1, max=365)]
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    explained_to_applicant = BooleanField(_l("Explained to the applicant"))


class JointReviewForm(StepForm):
    lead_unit = SelectField(_l("Lead unit"), coerce=int)
    scheduled_at = DateTimeLocalField(
        _l("Meeting time"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    departments = MultiCheckboxField(_l("Departments"), coerce=int)
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])


class CompleteForm(StepForm):
    results = TextAreaField(_l("Results handed over"), validators=[DataRequired()])
    materials_returned = TextAreaField(_l("Original materials returned"), validators=[Optional()])
    signed_by = StringField(_l("Signed for by"), validators=[DataRequired(), Length(max=50)])
    receipt = FileField(_l("Scan of the signed receipt (PDF, PNG or JPEG)"))


class AttachForm(StepForm):
    kind = SelectField(_l("What the file is"), choices=enum_choices(AttachmentKind))
    file = FileField(_l("Scan or photo (PDF, PNG or JPEG)"))


class VoidAttachmentForm(StepForm):
    attachment = SelectField(_l("File to void"), coerce=int)
    reason = TextAreaField(
        _l("Why the file is voided (wrong file, wrong case…)"),
        validators=[DataRequired(), Length(max=2000)],
    )


class TerminateForm(StepForm):
    reason_type = SelectField(_l("Reason type"), choices=enum_choices(TerminationReason))
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    materials_returned = TextAreaField(_l("Materials returned"), validators=[Optional()])
    applicant_signed = BooleanField(_l("Applicant signed"))
    specialist_signed = BooleanField(_l("Specialist signed"))


class SuspendForm(StepForm):
    reason_type = SelectField(_l("Reason type"), choices=enum_choices(SuspensionReason))
    reason = TextAreaField(
        _l("Reason (required for “Other”)"), validators=[Optional(), Length(max=2000)]
    )


class ResumeForm(StepForm):
    renewal_signed = BooleanField(_l("The applicant signed the renewed entrustment"))
    signed_by = StringField(
        _l("Renewed entrustment signed by"), validators=[DataRequired(), Length(max=50)]
    )
    renewal = FileField(_l("Scan of the signed renewed entrustment (PDF, PNG or JPEG)"))


class EvaluateForm(StepForm):
    stage = SelectField(
        _l("Evaluation stage"),
        choices=[("", _l("By the case's status"))] + enum_choices(EvaluationStage),
        validate_choice=False,  # the step's schema checks it (and a form without it means "")
    )
    rating = SelectField(_l("Rating"), choices=enum_choices(Rating))
    channel = SelectField(_l("Channel"), choices=enum_choices(EvaluationChannel))
    comments = TextAreaField(_l("Comments and suggestions"), validators=[Optional()])


class ReturnVisitForm(StepForm):
    planned_on = DateField(_l("Planned"), validators=[InputRequired()])
    done_on = DateField(_l("Done"), validators=[Optional()])
    channel = SelectField(_l("Channel"), choices=enum_choices(ContactChannel, blank=True))
    notes = TextAreaField(_l("Notes"), validators=[Optional()])


class ApplyForm(FlaskForm):
    """帮办代办申请表: the application form."""

    # Any applicant in the user's scope, chosen with the search-as-you-type picker
    # (app/static/js/picker.js); the id is checked against the scope on the server.
    applicant = IntegerField(
        _l("Applicant"),
        validators=[InputRequired(message=_l("Choose an applicant."))],
        widget=widgets.HiddenInput(),
    )
    item = SelectField(_l("Service item"), coerce=int)
    kind = SelectField(_l("Kind"), choices=enum_choices(ServiceKind))
    channel = SelectField(
        _l("Service channel"), choices=enum_choices(CaseChannel), default=CaseChannel.HALL.value
    )
    hotline_ticket = StringField(
        _l("12345 ticket number"),
        validators=[Optional(), Length(max=64)],
    )
    help_types = MultiCheckboxField(_l("Help given"), choices=enum_choices(HelpType))
    major_project = BooleanField(_l("Major investment project"))
    needs = TextAreaField(_l("Applicant's needs"), validators=[DataRequired(), Length(max=2000)])
    handling_unit = SelectField(_l("Handling unit"), coerce=int)
    specialist = SelectField(_l("Specialist"), coerce=int)
    ack_voluntary = BooleanField(_l("Applied voluntarily"))
    ack_free = BooleanField(_l("Knows the service is free"))
    ack_truthful = BooleanField(_l("Responsible for the truth of the materials"))

    def validate_applicant(self, field):

        if pickers.applicant_in_scope(db.session, field.data) is None:
            raise ValidationError(_l("Choose an applicant from the list."))


def default_deadline() -> dt.date:
    return clock.today() + dt.timedelta(days=10)


class HotlineTicketValidator:
    """A 12345 ticket number (app/domain/hotline.py), stored in its normalized spelling."""

    def __call__(self, form, field):
        error = ticket_error(field.data)
        if error is not None:
            raise ValidationError(str(error))
        field.data = normalize_ticket(field.data) or None


class ChaseUpForm(StepForm):
    """催办: a manager asks the case's specialist for a response by a deadline."""

    request = TextAreaField(
        _l("What the specialist should respond to"),
        validators=[DataRequired(), Length(max=2000)],
    )
    respond_by = DateField(_l("Respond by"), validators=[InputRequired()])
    hotline_ticket = StringField(_l("12345 ticket number"), validators=[Optional(), Length(max=32)])


class ChaseUpReplyForm(StepForm):
    chase_up = SelectField(_l("Chase-up"), coerce=int)
    response = TextAreaField(_l("Response"), validators=[DataRequired(), Length(max=2000)])
