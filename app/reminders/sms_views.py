"""The SMS templates screen (System → SMS templates), for Admins only (no role is granted it).

- ``index``: the registered signature (setting ``sms.signature``) with its own form, and every
  kind of SMS with its placeholders, a preview in the reader's language and, per language,
  whether the wording is the default or an Admin's;
- ``edit``: one kind in one language: the wording, the placeholders it may use with their
  meaning, a live preview filled with sample values, the length in characters and in SMS
  (static/js/sms_template.js counts as ``sms_templates.segments`` does), reset to the default.

A wording or signature that cannot be stored answers 400 with the form as typed and the reason
in the reader's language; nothing is stored. Every change is audited (app/audit.py).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import models as m
from app import settings
from app.extensions import db
from app.reminders import sms_templates as t


def _kind(code: str) -> t.SmsKind:
    kind = t.KINDS.get(code)
    if kind is None:
        abort(404)
    return kind


def _language(code: str) -> str:
    if code not in t.LANGUAGES:
        abort(404)
    return code


def _placeholders(kind: t.SmsKind) -> list[dict]:
    return [{"name": name, "label": t.PLACEHOLDERS[name]} for name in kind.placeholders]


class SmsTemplateView(BaseView):
    route_base = "/smstemplates"
    default_view = "index"
    list_title = _l("SMS templates")

    def _index(self, *, failed_signature: str | None = None, error=None, status: int = 200):
        session = db.session
        reader = t.sms_language(session)
        stored = {(row.kind, row.language) for row in session.query(t.SmsTemplate).all()}
        rows = []
        for kind in t.KINDS.values():
            samples = t.samples(reader)
            body = t.render(session, kind.code, reader, samples)
            rows.append(
                {
                    "kind": kind,
                    "placeholders": _placeholders(kind),
                    "preview": t.signature(session) + body,
                    "languages": [
                        {
                            "code": code,
                            "label": t.LANGUAGE_LABELS[code],
                            "edited": (kind.code, code) in stored,
                        }
                        for code in t.LANGUAGES
                    ],
                }
            )
        knob = settings.DEFAULTS["sms.signature"]
        page = self.render_template(
            "notifications/sms_templates.html",
            title=self.list_title,
            rows=rows,
            signature=t.signature(session),
            signature_value=(
                failed_signature
                if failed_signature is not None
                else settings.get("sms.signature", session)
            ),
            signature_set=t.signature_is_set(session),
            signature_hint=knob.hint,
            signature_error=error,
            sms_language=t.LANGUAGE_LABELS[reader],
        )
        return page, status

    @expose("/")
    @has_access
    def index(self):
        return self._index()

    @expose("/signature", methods=["POST"])
    @has_access
    @permission_name("edit")
    def signature(self):
        """Store the registered signature (an empty value goes back to the fallback)."""
        raw = (request.form.get("signature") or "").strip()
        if not raw:
            row = db.session.get(m.Setting, "sms.signature")
            if row is not None:
                db.session.delete(row)
                db.session.commit()
            flash(_("The SMS signature is back to its default."), "success")
            return redirect(url_for("SmsTemplateView.index"))
        try:
            settings.set_value(db.session, "sms.signature", raw)
        except settings.InvalidSetting as error:
            db.session.rollback()
            flash(_("SMS signature: %(error)s", error=error.message), "danger")
            return self._index(failed_signature=raw, error=error.message, status=400)
        db.session.commit()
        flash(_("SMS signature saved: %(signature)s", signature=t.signature()), "success")
        return redirect(url_for("SmsTemplateView.index"))

    def _edit(self, kind: t.SmsKind, language: str, text: str, *, error=None, status: int = 200):
        session = db.session
        samples = t.samples(language)
        signature = t.signature(session)
        # The preview of what was typed (also when it was refused: the reader sees it as is).
        preview = signature + t.fill(text, samples)
        page = self.render_template(
            "notifications/sms_template_edit.html",
            title=_("SMS template: %(kind)s", kind=kind.label),
            kind=kind,
            language=language,
            language_label=t.LANGUAGE_LABELS[language],
            text=text,
            default=t.default_text(kind.code, language),
            edited=t.stored(session, kind.code, language) is not None,
            placeholders=_placeholders(kind),
            samples={name: samples[name] for name in kind.placeholders},
            signature=signature,
            preview=preview,
            length=t.units(preview),
            segments=t.segments(preview),
            single=t.SINGLE,
            part=t.PART,
            max_length=t.MAX_LENGTH,
            error=error,
        )
        return page, status

    @expose("/edit/<sms_kind>/<language>", methods=["GET"])
    @has_access
    @permission_name("show")
    def edit_form(self, sms_kind, language):
        kind, language = _kind(sms_kind), _language(language)
        return self._edit(kind, language, t.text_of(db.session, kind.code, language))

    @expose("/edit/<sms_kind>/<language>", methods=["POST"])
    @has_access
    @permission_name("edit")
    def edit(self, sms_kind, language):
        kind, language = _kind(sms_kind), _language(language)
        text = request.form.get("body") or ""
        user = getattr(g, "user", None)
        try:
            t.save(db.session, kind.code, language, text, getattr(user, "id", None))
        except t.TemplateError as error:
            db.session.rollback()
            return self._edit(kind, language, text, error=error.message, status=400)
        db.session.commit()
        flash(
            _(
                "The SMS template %(kind)s (%(language)s) is saved.",
                kind=kind.label,
                language=t.LANGUAGE_LABELS[language],
            ),
            "success",
        )
        return redirect(url_for("SmsTemplateView.edit_form", sms_kind=kind.code, language=language))

    @expose("/reset/<sms_kind>/<language>", methods=["POST"])
    @has_access
    @permission_name("edit")
    def reset(self, sms_kind, language):
        kind, language = _kind(sms_kind), _language(language)
        if t.reset(db.session, kind.code, language):
            db.session.commit()
        flash(
            _(
                "The SMS template %(kind)s (%(language)s) is back to its default wording.",
                kind=kind.label,
                language=t.LANGUAGE_LABELS[language],
            ),
            "success",
        )
        return redirect(url_for("SmsTemplateView.edit_form", sms_kind=kind.code, language=language))
