#!/usr/bin/env python3
"""Fail when an installed dependency is at a version with a known security advisory.

Works offline: it compares the installed versions (importlib.metadata) with the
table below, which lists the published advisories of soporte's security-relevant
dependencies and the first version that fixes each. `pip-audit` cannot run here
(the registry this project reaches serves no vulnerability data); where it can,
run it too. When an advisory is published, add a row here and raise the minimum
in setup.cfg.

    python scripts/check_advisories.py      # exit 1 and one line per finding
"""
import re
import sys
from importlib import metadata

# (distribution, advisory, introduced in (None: all earlier versions), fixed in, what)
ADVISORIES = [
    ("PyJWT", "CVE-2022-29217", "1.5.0", "2.4.0", "algorithm confusion with keys that are not blocklisted"),
    ("PyJWT", "CVE-2024-53861", "2.10.0", "2.10.1", "issuer check accepts a partial match"),
    ("PyJWT", "CVE-2026-32597", None, "2.12.0", "unknown `crit` header extensions accepted"),
    ("PyJWT", "CVE-2025-45768", None, "2.12.1", "weak HMAC keys accepted"),
    ("PyJWT", "CVE-2026-48522", None, "2.13.0", "fixed in 2.13.0 (with -48523..-48526)"),
    ("PyJWT", "CVE-2026-48526", None, "2.13.0", "authentication bypass with a forged JWT"),
    ("Werkzeug", "CVE-2023-46136", None, "3.0.1", "multipart parser resource exhaustion"),
    ("Werkzeug", "CVE-2024-34069", None, "3.0.3", "debugger remote code execution"),
    ("Werkzeug", "CVE-2024-49766", None, "3.0.6", "safe_join accepts UNC paths on Windows"),
    ("Werkzeug", "CVE-2024-49767", None, "3.0.6", "multipart form resource exhaustion"),
    ("Werkzeug", "CVE-2025-66221", None, "3.1.4", "safe_join accepts Windows device names"),
    ("Werkzeug", "CVE-2026-21860", None, "3.1.5", "safe_join: device names with compound extensions"),
    ("Werkzeug", "CVE-2026-27199", None, "3.1.6", "safe_join: more Windows device names"),
    ("Flask", "CVE-2023-30861", None, "2.3.2", "session cookie cached by proxies (Vary: Cookie missing)"),
    ("Flask", "CVE-2025-47278", "3.1.0", "3.1.1", "signs with a fallback key instead of SECRET_KEY"),
    ("Flask", "CVE-2026-27205", None, "3.1.3", "fixed in 3.1.3"),
    ("eventlet", "CVE-2021-21419", None, "0.31.0", "websocket memory exhaustion"),
    ("eventlet", "CVE-2023-29483", None, "0.35.2", "DNS resolution hijack (TuDoor)"),
    ("eventlet", "CVE-2025-58068", None, "0.40.3", "HTTP request smuggling in the WSGI server"),
    ("PyMySQL", "CVE-2024-36039", None, "1.1.1", "SQL injection through dict keys"),
    ("SQLAlchemy", "CVE-2019-7164", None, "1.3.0", "SQL injection through order_by"),
    ("SQLAlchemy", "CVE-2019-7548", None, "1.3.0", "SQL injection through group_by"),
    ("python-engineio", "CVE-2019-13611", None, "3.9.0", "cross-site WebSocket hijacking (no Origin check)"),
    ("python-engineio", "CVE-2026-48802", None, "4.13.2", "unbounded thread allocation: denial of service"),
    ("python-engineio", "CVE-2026-48809", None, "4.13.2", "payload size: denial of service"),
    ("python-socketio", "CVE-2025-61765", None, "5.14.0", "pickle in the message queue: code execution"),
    ("python-socketio", "CVE-2026-48804", None, "5.16.2", "binary attachment accumulation: denial of service"),
    ("gunicorn", "CVE-2024-1135", None, "22.0.0", "HTTP request smuggling (Transfer-Encoding)"),
    ("gunicorn", "CVE-2024-6827", None, "23.0.0", "HTTP request smuggling (TE.CL)"),
]
# checked, and no advisory known for the versions soporte allows
NO_KNOWN_ADVISORY = ["Flask-SocketIO", "Flask-WTF", "Flask-SQLAlchemy", "Flask-Limiter", "simple-websocket"]


def version_key(text):
    """A sortable key for a version like 2.10.1 or 2.13.0rc1 (pre-releases sort first)."""
    match = re.match(r"(\d+(?:\.\d+)*)(.*)", text.strip())
    if not match:
        raise ValueError(f"not a version: {text!r}")
    release = [int(part) for part in match.group(1).split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()  # 2.4 == 2.4.0
    suffix = match.group(2).lstrip(".").lower()
    final = not suffix or suffix.startswith(("post", "+"))
    return tuple(release), 1 if final else 0


def affects(version, introduced, fixed):
    """Whether `version` is in [introduced, fixed)."""
    key = version_key(version)
    return key < version_key(fixed) and (introduced is None or key >= version_key(introduced))


def findings(installed=None):
    """Lines for each advisory that affects an installed version (installed: name -> version)."""
    if installed is None:
        installed = installed_versions()
    lines = []
    for name, advisory, introduced, fixed, what in ADVISORIES:
        version = installed.get(name.lower())
        if version is not None and affects(version, introduced, fixed):
            lines.append(f"VULNERABLE {name} {version}: {advisory} ({what}); upgrade to {fixed} or later")
    return lines


def installed_versions():
    """The installed distributions, by lower-case name."""
    return {dist.metadata["Name"].lower(): dist.version for dist in metadata.distributions()
            if dist.metadata["Name"]}


def main():
    """Print the findings; exit 1 if there are any."""
    lines = findings()
    for line in lines:
        print(line)
    if lines:
        return 1
    names = sorted({row[0] for row in ADVISORIES})
    print(f"ok: no known advisory affects the installed {', '.join(names)} "
          f"({len(ADVISORIES)} advisories checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
