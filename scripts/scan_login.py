"""Log in to a running instance for the outside scanners (docs/security-scan.md).

    python3 scripts/scan_login.py cookie http://127.0.0.1:5118 USER PASSWORD  # session=...
    python3 scripts/scan_login.py token  http://127.0.0.1:5118 USER PASSWORD  # a JWT

Standard library only: it runs from any Python, the scanners' own venv included.
"""

import http.cookiejar
import json
import re
import sys
import urllib.parse
import urllib.request


def cookie(base: str, user: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login/").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "username": user, "password": password}
    opener.open(base + "/login/", urllib.parse.urlencode(form).encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def token(base: str, user: str, password: str) -> str:
    body = {"username": user, "password": password, "provider": "db", "refresh": False}
    request = urllib.request.Request(
        base + "/api/v1/security/login",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    return json.load(urllib.request.urlopen(request))["access_token"]


if __name__ == "__main__":
    mode, base, user, password = sys.argv[1:5]
    print({"cookie": cookie, "token": token}[mode](base.rstrip("/"), user, password))
