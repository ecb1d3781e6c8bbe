"""Three complete languages: catalogs complete and current, no user-visible string outside
gettext, the language switch works and sticks to the user."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests import factories

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("zh", "zh_Hant", "en")
CJK = re.compile(r"[\u3400-\u9fff]")
# Pure data, not UI text: the demo content and the seed that loads it.
DATA_MODULES = {"demo_data.py", "seed.py"}


def catalog(lang: str):
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_is_complete_and_not_fuzzy(lang):
    cat = catalog(lang)
    untranslated = [
        m.id for m in cat if m.id and not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert untranslated == [], untranslated[:20]
    assert fuzzy == [], fuzzy[:20]


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_survive_translation(lang):
    pattern = re.compile(r"%\(\w+\)s|%s|\{\d*\}")
    bad = [
        m.id
        for m in catalog(lang)
        if m.id
        and isinstance(m.id, str)
        and sorted(pattern.findall(m.id)) != sorted(pattern.findall(m.string))
    ]
    assert bad == []


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalog_matches_its_source(lang):
    mo_path = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), "run `make catalogs` (make test and make run do it)"
    with open(mo_path, "rb") as fh:
        compiled = {m.id: m.string for m in read_mo(fh) if m.id}
    source = {m.id: m.string for m in catalog(lang) if m.id}
    assert compiled == source


def test_catalogs_cover_every_string_in_the_sources(tmp_path):
    """Extract afresh: a string added to the code without `make i18n` fails here."""
    pot = tmp_path / "fresh.pot"
    fab_dir = Path(__import__("flask_appbuilder").__file__).parent
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "lazy_gettext",
            "-k",
            "_l",
            "--no-location",
            "-o",
            str(pot),
            "app",
            str(fab_dir),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as fh:
        fresh = {m.id for m in read_po(fh) if m.id}
    known = {m.id for m in catalog("zh") if m.id}
    missing = sorted(str(i) for i in fresh - known)
    assert missing == [], f"run `make i18n` and translate: {missing[:20]}"


def _python_files():
    return [p for p in (ROOT / "app").rglob("*.py") if p.name not in DATA_MODULES]


def test_no_chinese_literal_in_python_outside_data():
    """User-visible Chinese comes from the catalogs; code literals are English msgids."""
    offenders = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and CJK.search(node.value)
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:30]}")
    assert offenders == []


def test_flash_messages_are_translated():
    """flash() gets a gettext call (or a domain error's translated text), never a literal."""
    offenders = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "flash"
                and node.args
                and isinstance(node.args[0], (ast.Constant, ast.JoinedStr))
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


TEXT_OUTSIDE_TAGS = re.compile(r">([^<>]+)<")


def _visible_template_text(source: str) -> list[str]:
    stripped = re.sub(r"{#.*?#}", "", source, flags=re.S)
    stripped = re.sub(r"{%.*?%}", " ", stripped, flags=re.S)
    stripped = re.sub(r"{{.*?}}", " ", stripped, flags=re.S)
    stripped = re.sub(r"<(script|style)\b.*?</\1>", " ", stripped, flags=re.S | re.I)
    texts = [t.strip() for t in TEXT_OUTSIDE_TAGS.findall(stripped)]
    attrs = re.findall(r'(?:placeholder|title|alt|aria-label)="([^"]*)"', stripped)
    return [t for t in texts + attrs if re.search(r"[A-Za-z\u3400-\u9fff]{2,}", t)]


def test_templates_have_no_text_outside_gettext():
    offenders = {}
    for path in (ROOT / "app" / "templates").rglob("*.html"):
        found = _visible_template_text(path.read_text(encoding="utf-8"))
        if found:
            offenders[str(path.relative_to(ROOT))] = found[:5]
    assert offenders == {}


# ---------------------------------------------------------------- in the running app

PAGES = [
    "/",
    "/caseview/list/",
    "/applicantview/list/",
    "/guide/",
    "/walkin/",
    "/serviceitemview/list/",
    "/orgunitview/list/",
]
# Characters that give away the wrong script: Simplified-only and Traditional-only forms.
SIMPLIFIED_ONLY = set("办们务这说经过时间请应录户级费联单机构码审终")
TRADITIONAL_ONLY = set("辦們務這說經過時間請應錄戶級費聯單機構碼審終")


def _body_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("lang", LANGS)
def test_pages_read_in_one_language(app, tree, login, lang):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    factories.case(tree.town_a, spec, item=factories.service_item())
    client = login(app.test_client(), "spec")
    assert client.get(f"/lang/{lang}").status_code == 302
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
        text = _body_text(response.text)
        # Data (names of units, items) is Simplified by nature; check the UI chrome only:
        chrome = text.replace(tree.town_a.name, "").replace(tree.city.name, "")
        for data in (
            tree.village_a1.name,
            tree.village_a2.name,
            "测试事项",
            "测试部门",
            "申请人",
            "员工spec",
            "帮办代办服务管理系统",
            "材料",
            "获取方式",
            "不收费",
            "测试需求",
            "简体中文",
            "繁體中文",
        ):
            chrome = chrome.replace(data, "")
        if lang == "zh":
            assert not (set(chrome) & TRADITIONAL_ONLY), (page, set(chrome) & TRADITIONAL_ONLY)
            assert "Cases" not in chrome and "Logout" not in chrome
        elif lang == "zh_Hant":
            assert not (set(chrome) & SIMPLIFIED_ONLY), (page, set(chrome) & SIMPLIFIED_ONLY)
            assert "登出" in chrome
        else:
            leftovers = CJK.findall(chrome)
            assert leftovers == [], (page, "".join(leftovers)[:60])


def test_language_choice_sticks_to_the_user(app, tree, login):
    factories.staff("spec", "Specialist", tree.town_a)
    client = login(app.test_client(), "spec")
    client.get("/lang/en")
    assert "Logout" in client.get("/").text
    fresh = login(app.test_client(), "spec")  # a new session, e.g. another day
    assert "Logout" in fresh.get("/").text
    fresh.get("/lang/zh_Hant")
    assert "登出" in login(app.test_client(), "spec").get("/").text


def test_template_strings_and_dates_follow_the_language_of_the_moment(app):
    """The templates' catalog and the dates they show are kept per language (app/i18n.py): a
    language forced inside a request, and back, reads each in its own language every time."""
    import datetime as dt  # lazy: only this test

    from flask import render_template_string  # lazy: only this test
    from flask_babel import force_locale  # lazy: only this test

    day = dt.date(2026, 3, 2)
    source = '{{ _("Case timeline") }} {{ day|ldate }} {{ moment|ldate }}'
    moment = dt.datetime(2026, 3, 2, 17, 30, tzinfo=dt.UTC)  # 3 March in Asia/Shanghai
    seen = []
    with app.test_request_context("/"):
        for lang in ("zh", "en", "zh_Hant", "en", "zh"):
            with force_locale(lang):
                seen.append((lang, render_template_string(source, day=day, moment=moment)))
    assert seen == [
        ("zh", "办理过程 2026年3月2日 2026年3月3日"),
        ("en", "Case timeline March 2, 2026 March 3, 2026"),
        ("zh_Hant", "辦理過程 2026年3月2日 2026年3月3日"),
        ("en", "Case timeline March 2, 2026 March 3, 2026"),
        ("zh", "办理过程 2026年3月2日 2026年3月3日"),
    ]
