"""Every CLI line of the README works as printed, from a fresh checkout, without secrets."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from soporte import create_app
from soporte.extensions import db
from soporte.models import Usuario

pytestmark = pytest.mark.slow  # no database of its own to test: run once (the SQLite pass)

ROOT = Path(__file__).resolve().parent.parent
SHELL_BLOCK = re.compile(r"```sh\n(.*?)```", re.S)
CLI = ".venv/bin/flask --app soporte "
TYPED_PASSWORD = "clave-tecleada\nclave-tecleada\n"  # for the commands that ask (twice, hidden)


def readme_cli_lines():
    """The README's `.venv/bin/flask --app soporte ...` lines, in order, servers (`run`) left out."""
    lines = []
    for block in SHELL_BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8")):
        lines += [line.strip() for line in block.splitlines()
                  if line.strip().startswith(CLI) and not line.strip().startswith(CLI + "run")]
    return lines


def as_printed(line):
    """The line itself; only when this checkout's venv is elsewhere, its flask in place of .venv/bin/."""
    if (ROOT / ".venv" / "bin" / "flask").exists():
        return line
    return line.replace(".venv/bin/", f"{Path(sys.executable).parent}/", 1)


def test_the_readme_cli_lines_run_as_printed(tmp_path):
    """db upgrade, init-db, create-user (customer, agent, --update), reset-password: each exits 0
    in an operator's shell with no SOPORTE_ secrets, and together they leave the accounts they say."""
    lines = readme_cli_lines()
    commands = {line[len(CLI):].split()[0] for line in lines}
    assert {"db", "init-db", "create-user", "reset-password"} <= commands, lines
    url = f"sqlite:///{tmp_path}/readme.sqlite"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SOPORTE_", "FLASK_"))},
           "SOPORTE_SQLALCHEMY_DATABASE_URI": url, "SOPORTE_SPOOL_DIR": str(tmp_path / "spool"),
           "LANG": "C.UTF-8"}
    for line in lines:
        # a session of its own: no terminal, so the hidden prompt reads the piped input, not /dev/tty
        result = subprocess.run(["bash", "-c", as_printed(line)], cwd=ROOT, env=env, input=TYPED_PASSWORD,
                                capture_output=True, text=True, timeout=120, start_new_session=True)
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SPOOL_DIR": str(tmp_path / "spool"),
                      "SECRET_KEY": "s" * 40, "JWT_SECRET": "j" * 40}, instance_path=str(tmp_path / "instance"))
    with app.app_context():
        accounts = {u.usuario: u for u in db.session.scalars(db.select(Usuario))}
        assert (accounts["ana"].rol, accounts["ana"].nombre) == ("user", "Ana")
        assert accounts["ana"].check_password("clave-tecleada")
        assert (accounts["maria"].rol, accounts["maria"].nombre) == ("admin", "María García")  # --update kept the role
        assert accounts["maria"].supervisor is True  # the first agent supervises
        assert (accounts["luis"].rol, accounts["luis"].supervisor) == ("admin", True)  # --update --supervisor
        db.engine.dispose()
