"""A crawl of every page an Admin and a Manager can open, in each language, finds no text of
another language: no English words under 简体/繁體 (Flask-AppBuilder's own screens included),
no Chinese under English except data, and the API's metadata labelled in the asked language."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from app.extensions import db
from tests import factories

# Words that are the same in every language of the product (codes, formats, standards).
ALLOWED = {
    "api",
    "pdf",
    "png",
    "jpeg",
    "sms",
    "id",
    "url",
    "qr",
    "excel",
    "xlsx",
    "csv",
    "json",
    "openapi",
    "swagger",
    "ui",
    "http",
    "https",
    "www",
    "rest",
    "oauth",
    "ldap",
    "mm",
    "dd",
    "yyyy",
    "true",
    "false",
    "sfz",
    "dibao",
    "gtgsh",
    "redis",  # services by name, and the /health URL
    "postgresql",
    "celery",
    "health",
    "ok",
    "jwt",
    "bearer",
    "utc",
    "a4",
    "ab",
    "min",
    "max",
    "english",  # the language menu names each language in itself
    "oid",
    "chinesecalendar",  # an authentication standard; the calendar's source library
}
# Technical identifiers shown as data (permission and view names on FAB's role screens).
IDENTIFIER = re.compile(r"\b(?:[A-Za-z]+_[A-Za-z_]+|[A-Z][a-z]+(?:[A-Z][a-z]*)+)\b")
SKIP = re.compile(
    r"/logout|/lang/|/download|/delete|/action|/static/|/openapi|/swagger|/api/v1/(?!_)|"
    r"/print/|/export|/file/|/reveal|/muldelete|/progress/|\.(xlsx|csv|pdf|png|ico)$|"
    # FAB's permission screens list permission and view names: identifiers, not text.
    r"^/(permissions|permissionviews|viewmenus)/"
)
PAGE_LINK = re.compile(r'href="(/[^"#]*)"')
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{2,}")
CJK = re.compile(r"[\u3400-\u9fff]")


# Not read as the page's language: code and sample output, and a textarea's content, which is a
# form's value like an input's (an SMS template in the language being edited, for one).
SKIP_TAGS = ("script", "style", "code", "pre", "kbd", "samp", "textarea")


class _Text(HTMLParser):
    """Visible text and the attributes people read (title, placeholder, alt, aria-label)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "alt", "aria-label") and value:
                self.parts.append(value)
            submit = dict(attrs).get("type") in ("submit", "button")
            if tag == "input" and name == "value" and submit and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(p.strip() for p in parser.parts if p.strip())


def catalog(lang: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[1] / "translations"
    with open(root / lang / "LC_MESSAGES" / "messages.po", "rb") as po:
        return {str(m.id): m.string for m in read_po(po) if m.id and isinstance(m.string, str)}


def other_language_texts(lang: str) -> set[str]:
    """Translations into the other Chinese script or from Chinese that are not also text of
    ``lang`` (a Simplified phrase on a Traditional page, a Chinese label on an English one)."""
    own = set(catalog(lang).values())
    others = {"zh": ["zh_Hant"], "zh_Hant": ["zh"], "en": ["zh", "zh_Hant"]}[lang]
    found = set()
    for other in others:
        for text in catalog(other).values():
            if text and CJK.search(text) and text not in own and len(text) >= 2:
                found.add(text)
    return found


def foreign_words(text: str, lang: str, data: set[str], foreign: set[str]) -> list[str]:
    found = []
    for part in text.splitlines():
        if any(d in part for d in data if len(d) >= 2):
            continue  # a line with data (names typed by people) is not checked for script
        found += [t for t in foreign if (t == part or (len(t) >= 4 and t in part))]
    if lang == "en":
        return found
    text = IDENTIFIER.sub(" ", text.replace("__None", ""))
    words = [w for w in ENGLISH_WORD.findall(text) if w.lower() not in ALLOWED]
    return found + [w for w in words if not any(w in d for d in data)]


def crawl(client, start: list[str], limit: int = 400) -> dict[str, str]:
    seen: dict[str, str] = {}
    queue = list(start)
    list_pages: dict[str, int] = {}
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen or SKIP.search(path):
            continue
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.content_type:
            seen[path] = ""
            continue
        seen[path] = response.text
        for href in PAGE_LINK.findall(response.text):
            href = urljoin(path, href.replace("&amp;", "&"))
            parsed = urlparse(href)
            target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            # One page per kind of link: list filters and pages are not new screens.
            kind = re.sub(r"/\d+", "/<id>", parsed.path)
            if parsed.query and kind in list_pages:
                continue
            list_pages.setdefault(kind, 0)
            list_pages[kind] += 1
            if list_pages[kind] > 1 and "<id>" in kind:
                continue
            if target not in seen:
                queue.append(target)
    return {path: html for path, html in seen.items() if html}


@pytest.fixture
def world(app, tree):
    admin = factories.staff("admin", "Admin", None)
    manager = factories.staff("manager", "Manager", tree.city)
    spec = factories.staff("spec", "Specialist", tree.town_a)
    factories.case(tree.town_a, spec)
    db.session.commit()
    assert admin is None and manager
    return tree


def data_words() -> set[str]:
    from app import models as m

    words = {"admin", "manager", "spec", "Test@Pass2026"}
    for user in db.session.query(m.Specialist).all():
        words |= {user.name, user.user.username, user.user.email or "", user.user.first_name}
    for model in (m.OrgUnit, m.Department, m.ServiceItem, m.Applicant, m.RequiredMaterial):
        for row in db.session.query(model).all():
            words |= {row.name, getattr(row, "how_to_obtain", ""), getattr(row, "fee_note", "")}
    for case in db.session.query(m.Case).all():
        words.add(case.needs)
    # Timeline notes are stored as written (in the language of the moment they were written).
    for event in db.session.query(m.CaseEvent).all():
        words.add(event.note)
    words |= {"简体中文", "繁體中文"}  # the language menu names each language in itself
    return {w for w in words if w}


@pytest.mark.parametrize("lang", ["zh", "zh_Hant", "en"])
@pytest.mark.parametrize("who", ["admin", "manager"])
def test_every_page_reads_in_one_language(app, world, login, lang, who):
    client = login(app.test_client(), who)
    client.get(f"/lang/{lang}")
    pages = crawl(client, ["/"])
    assert len(pages) > (40 if who == "admin" else 20), sorted(pages)
    data = data_words()
    foreign = other_language_texts(lang)
    problems = {}
    for path, html in pages.items():
        found = foreign_words(visible_text(html), lang, data, foreign)
        if found:
            problems[path] = sorted(set(found))[:12]
    assert problems == {}, "\n".join(f"{p}: {w}" for p, w in sorted(problems.items()))


@pytest.mark.parametrize("lang", ["zh", "zh_Hant", "en"])
def test_the_apis_labels_are_in_the_asked_language(app, world, lang):
    """``label_columns`` of every resource (list, item and _info answers) in the language asked
    for, never FAB's title-cased English column names."""
    from app.api import base
    from tests.apiclient import api_login

    api = api_login(app, "manager", language={"zh_Hant": "zh-Hant"}.get(lang, lang))
    resources = [
        v.resource_name for v in app.appbuilder.baseviews if isinstance(v, base.ScopedModelRestApi)
    ]
    assert len(resources) >= 5
    foreign = other_language_texts(lang)
    problems = {}
    for name in resources:
        for path in (f"/api/v1/{name}/?q=(page_size:1)", f"/api/v1/{name}/_info"):
            answer = api.get(path).get_json() or {}
            labels = answer.get("label_columns") or {}
            for column, label in labels.items():
                if lang == "en":
                    bad = CJK.search(label) is not None
                else:
                    bad = (
                        bool(ENGLISH_WORD.search(IDENTIFIER.sub(" ", label)))
                        and not set(w.lower() for w in ENGLISH_WORD.findall(label)) <= ALLOWED
                    )
                    bad = bad or label in foreign
                if bad:
                    problems.setdefault(name, []).append(f"{column}={label}")
    assert problems == {}, problems
