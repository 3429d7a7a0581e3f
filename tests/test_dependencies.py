"""Dependencies: no installed version with a known advisory (scripts/check_advisories.py, offline)."""
import configparser
import importlib.util
import re

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("check_advisories", ROOT / "scripts" / "check_advisories.py")
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)


def test_installed_dependencies_have_no_known_advisory():
    findings = check.findings()
    assert not findings, "\n".join(findings)


def test_a_vulnerable_version_is_reported_with_its_fix():
    lines = check.findings({"pyjwt": "2.10.0", "eventlet": "0.40.2", "flask": "3.1.3"})
    assert any("PyJWT 2.10.0: CVE-2024-53861" in line and "upgrade to 2.10.1" in line for line in lines)
    assert any("eventlet 0.40.2: CVE-2025-58068" in line for line in lines)
    assert not any(line.startswith("VULNERABLE Flask") for line in lines)


@pytest.mark.parametrize("version, introduced, fixed, affected", [
    ("2.10.0", "2.10.0", "2.10.1", True),
    ("2.9.0", "2.10.0", "2.10.1", False),   # before the bug came in
    ("2.10.1", "2.10.0", "2.10.1", False),
    ("2.4", None, "2.4.0", False),          # 2.4 == 2.4.0
    ("2.13.0rc1", None, "2.13.0", True),    # a pre-release of the fix is not the fix
    ("2.13.0.post1", None, "2.13.0", False),
    ("10.0", None, "9.9.9", False),         # numbers, not strings
])
def test_version_ranges(version, introduced, fixed, affected):
    assert check.affects(version, introduced, fixed) is affected


def test_setup_cfg_minimums_exclude_every_advisory():
    """The minimum each dependency declares is at or past every advisory's fix."""
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    requirements = parser["options"]["install_requires"] + parser["options.extras_require"]["prod"]
    minimums = {}
    for line in requirements.splitlines():
        match = re.match(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][^,<\s]*)", line)
        if match:
            minimums[match.group(1).lower()] = match.group(2)
    for name, advisory, introduced, fixed, _ in check.ADVISORIES:
        assert name.lower() in minimums, f"setup.cfg does not require {name}"
        assert not check.affects(minimums[name.lower()], introduced, fixed), (
            f"setup.cfg allows {name} {minimums[name.lower()]}, affected by {advisory} (fixed in {fixed})")
