"""The case list's search form renders its dropdowns with the quick option writer and builds
each related interface once: the same markup as Flask-AppBuilder's own widget."""

from __future__ import annotations

from flask_appbuilder.fieldwidgets import Select2Widget
from wtforms import Form, SelectField

from app import models as m
from app.viewbase import ListInterface, QuickOptionsSelect2Widget


class _Form(Form):
    pick = SelectField(
        choices=[("", "—"), ("1", 'A "quoted" <b>unit</b> & co'), ("2", "第二"), (True, "yes")],
        widget=Select2Widget(),
    )
    quick = SelectField(
        choices=[("", "—"), ("1", 'A "quoted" <b>unit</b> & co'), ("2", "第二"), (True, "yes")],
        widget=QuickOptionsSelect2Widget(),
    )
    tagged = SelectField(
        choices=[("1", "one", {"data-x": "y"}), ("2", "two")],
        widget=QuickOptionsSelect2Widget(),
    )
    tagged_fab = SelectField(
        choices=[("1", "one", {"data-x": "y"}), ("2", "two")], widget=Select2Widget()
    )


def test_quick_options_write_what_the_library_writes(app):
    with app.test_request_context("/"):
        form = _Form(data={"pick": "2", "quick": "2", "tagged": "1", "tagged_fab": "1"})
        slow = str(form.pick()).replace('id="pick" name="pick"', "")
        quick = str(form.quick()).replace('id="quick" name="quick"', "")
        assert quick == slow
        assert "&#34;quoted&#34; &lt;b&gt;unit&lt;/b&gt; &amp; co" in quick
        assert '<option selected value="2">第二</option>' in quick
        # an option with its own attributes takes the library's path
        tagged = str(form.tagged()).replace('id="tagged" name="tagged"', "")
        assert tagged == str(form.tagged_fab()).replace('id="tagged_fab" name="tagged_fab"', "")


def test_the_case_list_search_form_uses_the_quick_widget_and_one_related_interface(app):
    from app.cases.views import CaseView  # lazy: the view class of the running app

    view = next(v for v in app.appbuilder.baseviews if isinstance(v, CaseView))
    widgets = [
        getattr(unbound, "kwargs", {}).get("widget") for unbound in vars(view.search_form).values()
    ]
    selects = [w for w in widgets if isinstance(w, Select2Widget)]
    assert selects and all(type(w) is QuickOptionsSelect2Widget for w in selects)
    first = view.datamodel.get_related_interface("handling_unit")
    assert first is view.datamodel.get_related_interface("handling_unit")
    assert first.obj is m.OrgUnit and isinstance(first, ListInterface)
