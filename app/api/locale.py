"""The language of an API answer, chosen per request: ``?_l_=`` first, then Accept-Language.

FAB's locale selector reads ``?_l_=`` and then the session; an API client has no session, so
for API requests the choice is made here from the request alone and the default language
(``BABEL_DEFAULT_LOCALE``) is the fallback. The selector is wrapped once at start-up, so nothing
app-wide changes per request.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_babel import refresh


def _tag_to_code(tag: str, languages) -> str | None:
    """Map a language tag (``zh-CN``, ``zh-TW``, ``zh-Hant-HK``, ``en-GB``) to a configured code."""
    tag = tag.replace("_", "-").lower()
    if tag.startswith("zh"):
        traditional = tag.startswith("zh-hant") or tag in {"zh-tw", "zh-hk", "zh-mo"}
        code = "zh_Hant" if traditional else "zh"
    else:
        code = tag.split("-")[0]
    return code if code in languages else None


def api_locale() -> str:
    """The configured language code for this API request."""
    languages = current_app.config.get("LANGUAGES") or {}
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    asked = request.args.get("_l_")
    if asked in languages:
        return asked
    for tag, _quality in request.accept_languages:
        if tag == "*":
            return default
        code = _tag_to_code(tag, languages)
        if code is not None:
            return code
    return default


def select_api_locale() -> None:
    """before_request of every API blueprint: fix this request's language."""
    g.api_locale = api_locale()
    refresh()


def install_selector(app: Flask) -> None:
    """Let ``g.api_locale`` (set only on API requests) win over FAB's session-based choice."""
    babel = app.extensions["babel"]
    original = babel.locale_selector
    if getattr(original, "_api_aware", False):
        return

    def selector():
        chosen = getattr(g, "api_locale", None)
        if chosen:
            return chosen
        return original() if original is not None else None

    selector._api_aware = True
    babel.locale_selector = selector
