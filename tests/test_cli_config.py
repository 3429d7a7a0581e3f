"""The CLI (init-db, create-user) and the configuration rules of create_app."""
import os
import signal
import stat
import subprocess
import sys

import pytest
from sqlalchemy import inspect

from conftest import PASSWORD, ROOT, TEST_SECRETS, account, drop_schema, free_port
from soporte import create_app
from soporte.extensions import db
from soporte.models import Mensaje, Usuario



# --- init-db ---------------------------------------------------------------------

def test_init_db_creates_the_schema_and_is_idempotent(app, runner):
    with app.app_context():
        drop_schema()
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "Database ready" in result.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {"usuarios", "mensajes"} <= tables


def test_init_db_keeps_existing_data(app, runner):
    with app.app_context():
        message_id, fecha = app.extensions["soporte"].ids.next()
        db.session.add(Mensaje(id=message_id, de_usuario="ana", para_usuario="admin",
                               conversacion="ana", mensaje="hola", fecha=fecha))
        db.session.commit()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    with app.app_context():
        assert db.session.get(Mensaje, message_id).mensaje == "hola"
    assert account(app, "ana").check_password(PASSWORD)


# --- create-user --------------------------------------------------------------------

@pytest.fixture(autouse=True)
def english_operator(monkeypatch):
    """The CLI speaks the operator's locale: these tests read its English."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def test_create_user_with_options(app, runner):
    result = runner.invoke(args=["create-user", "carla", "--name", "Carla Pérez", "--password", "clave-de-carla"])
    assert result.exit_code == 0, result.output
    assert "Created user carla" in result.output
    carla = account(app, "carla")
    assert (carla.rol, carla.nombre) == ("user", "Carla Pérez")
    assert carla.check_password("clave-de-carla") and not carla.check_password("otra")
    assert "clave-de-carla" not in carla.password_hash


def test_create_admin(app, runner, client):
    from conftest import login

    result = runner.invoke(args=["create-user", "agente3", "--admin", "--password", "clave-de-agente"])
    assert result.exit_code == 0, result.output
    agent = account(app, "agente3")
    assert (agent.rol, agent.nombre) == ("admin", "agente3")  # the name defaults to the username
    assert login(client, "agente3", "clave-de-agente").status_code == 302
    assert client.get("/api/usuarios-conversaciones").status_code == 200  # an agent indeed


def test_create_user_prompts_for_the_password(app, runner):
    result = runner.invoke(args=["create-user", "dario"], input="clave-de-dario\nclave-de-dario\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert "clave-de-dario" not in result.output  # hidden input
    assert account(app, "dario").check_password("clave-de-dario")


def test_create_user_prompt_must_match(app, runner):
    result = runner.invoke(args=["create-user", "dario"], input="una-clave\notra-clave\n")
    assert result.exit_code != 0
    assert account(app, "dario") is None


def test_create_user_refuses_an_existing_name_without_update(app, runner):
    """Creating a name that exists changes nothing: the operator asks for --update."""
    for name in ("ana", "Ana", "ANA."):  # the account or a look-alike of it
        result = runner.invoke(args=["create-user", name, "--password", "nueva-clave-ana"])
        assert result.exit_code == 2, result.output
        assert "--update" in result.output and "ana" in result.output
    ana = account(app, "ana")
    assert ana.check_password(PASSWORD) and (ana.nombre, ana.rol) == ("Ana", "user")
    assert account(app, "Ana") is None


def test_create_user_update_changes_only_what_it_is_given(app, runner):
    """--update resets the password given and keeps the name and the role."""
    result = runner.invoke(args=["create-user", "ana", "--update", "--password", "nueva-clave-ana"])
    assert result.exit_code == 0 and "Updated user ana" in result.output
    ana = account(app, "ana")
    assert ana.check_password("nueva-clave-ana") and not ana.check_password(PASSWORD)
    assert (ana.nombre, ana.rol) == ("Ana", "user")  # the display name is kept
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Usuario).filter_by(usuario="ana")) == 1


def test_create_user_update_never_demotes_an_agent_silently(app, runner):
    """An agent updated without a role flag stays an agent; the role changes only when asked."""
    result = runner.invoke(args=["create-user", "agente2", "--update", "--name", "Agente Dos"])
    assert result.exit_code == 0, result.output
    agent = account(app, "agente2")
    assert (agent.rol, agent.nombre) == ("admin", "Agente Dos") and agent.check_password(PASSWORD)

    assert runner.invoke(args=["create-user", "agente2", "--update", "--no-admin"]).exit_code == 0
    assert account(app, "agente2").rol == "user"
    assert runner.invoke(args=["create-user", "ana", "--update", "--admin"]).exit_code == 0
    assert account(app, "ana").rol == "admin"


@pytest.mark.parametrize("password", ["abc", "1234567"])
def test_create_user_has_the_password_rules_of_registro(app, runner, password):
    """A password /registro refuses is refused here too, given or typed."""
    result = runner.invoke(args=["create-user", "carla", "--password", password])
    assert result.exit_code == 2 and "at least 8" in result.output, result.output
    result = runner.invoke(args=["create-user", "carla"], input=f"{password}\n{password}\n")
    assert result.exit_code == 2 and "at least 8" in result.output, result.output
    assert account(app, "carla") is None


def test_create_user_refuses_what_registro_refuses_a_customer(app, runner):
    """A customer may not be called soporte, nor display a name that reads as support; an agent may."""
    for args in (["create-user", "Support", "--password", "clave-larga-1"],
                 ["create-user", "carla", "--name", "Sopórte", "--password", "clave-larga-1"],
                 ["create-user", "carla", "--name", "agente 2", "--password", "clave-larga-1"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 2, result.output
        assert "support team" in result.output
    assert account(app, "carla") is None and account(app, "Support") is None
    result = runner.invoke(args=["create-user", "agente3", "--admin", "--name", "Soporte", "--password", "clave-larga-1"])
    assert result.exit_code == 0, result.output


def test_cli_refusals_follow_the_locale(app, runner, monkeypatch):
    """The operator's LANG picks Spanish or English for the shared refusals."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    result = runner.invoke(args=["create-user", "carla", "--password", "abc"])
    assert result.exit_code == 2 and "al menos 8" in result.output, result.output
    monkeypatch.setenv("LANG", "C.UTF-8")
    result = runner.invoke(args=["create-user", "carla", "--password", "abc"])
    assert result.exit_code == 2 and "at least 8" in result.output, result.output


@pytest.mark.parametrize("args", [
    ["create-user", "a b", "--password", "clave-larga-1"],
    ["create-user", "ab", "--password", "clave-larga-1"],
    ["create-user", "admin", "--password", "clave-larga-1"],  # the inbox's name, without --admin
])
def test_create_user_refusals(app, runner, args):
    result = runner.invoke(args=args)
    assert result.exit_code == 2, result.output
    admin = account(app, "admin")
    assert admin.rol == "admin" and admin.check_password(PASSWORD)
    assert account(app, args[1]) is None or args[1] == "admin"


# --- reset-password ---------------------------------------------------------------

def test_reset_password_with_the_option_or_typed(app, runner):
    """reset-password NAME changes only the password; the name may be typed in any case."""
    result = runner.invoke(args=["reset-password", "ANA", "--password", "nueva-clave-ana"])
    assert result.exit_code == 0, result.output
    assert "ana" in result.output
    ana = account(app, "ana")
    assert ana.check_password("nueva-clave-ana") and (ana.nombre, ana.rol) == ("Ana", "user")

    result = runner.invoke(args=["reset-password", "agente2"], input="otra-clave-larga\notra-clave-larga\n")
    assert result.exit_code == 0, result.output
    assert "otra-clave-larga" not in result.output  # hidden input
    agent = account(app, "agente2")
    assert agent.check_password("otra-clave-larga") and agent.rol == "admin"


def test_reset_password_refusals(app, runner):
    """Unknown names, short and mismatched passwords change nothing."""
    result = runner.invoke(args=["reset-password", "nadie", "--password", "clave-larga-1"])
    assert result.exit_code == 2 and "nadie" in result.output, result.output
    result = runner.invoke(args=["reset-password", "ana", "--password", "corta"])
    assert result.exit_code == 2 and "at least 8" in result.output, result.output
    result = runner.invoke(args=["reset-password", "ana"], input="una-clave-larga\notra-clave-larga\n")
    assert result.exit_code != 0
    assert account(app, "ana").check_password(PASSWORD)


# --- configuration -----------------------------------------------------------------------

@pytest.fixture
def clean_env(monkeypatch):
    """No SOPORTE_* or FLASK_* variables from the developer's shell."""
    for name in list(os.environ):
        if name.startswith(("SOPORTE_", "FLASK_")):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def built(tmp_path):
    """Make apps (outside testing mode) in a temporary instance folder; stop their writers after."""
    apps = []

    def make(test_config=None, instance="instance"):
        config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/conf.sqlite", "DEMO_ACCOUNTS": False,
                  "SPOOL_DIR": str(tmp_path / "spool"), **(test_config or {})}
        app = create_app(config, instance_path=str(tmp_path / instance))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["soporte"].writer.close(timeout=1)


@pytest.mark.parametrize("secrets, missing", [
    ({}, "SOPORTE_JWT_SECRET"),
    ({"SECRET_KEY": TEST_SECRETS["SECRET_KEY"]}, "SOPORTE_JWT_SECRET"),
    ({"SECRET_KEY": TEST_SECRETS["SECRET_KEY"], "JWT_SECRET": "corto"}, "SOPORTE_JWT_SECRET"),
    ({"SECRET_KEY": TEST_SECRETS["SECRET_KEY"], "JWT_SECRET": "x" * 31}, "SOPORTE_JWT_SECRET"),
    ({"JWT_SECRET": TEST_SECRETS["JWT_SECRET"]}, "SOPORTE_SECRET_KEY"),
])
def test_production_refuses_to_start_without_real_secrets(clean_env, built, tmp_path, secrets, missing):
    """Outside debug and testing: SystemExit with one line naming the variable to set."""
    with pytest.raises(SystemExit) as refused:
        built(secrets)
    message = str(refused.value)
    assert missing in message
    assert "\n" not in message
    assert not (tmp_path / "instance" / "dev-jwt_secret").exists()  # nothing generated in production


def test_production_refusal_is_one_line_on_stderr(clean_env, tmp_path):
    """What an operator sees: exit status 1 and a single line, no traceback."""
    code = "import sys; from soporte import create_app; create_app(instance_path=sys.argv[1])"
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "instance")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SOPORTE_JWT_SECRET" in lines[0] and "Traceback" not in result.stderr


def test_secrets_from_the_environment(clean_env, built):
    clean_env.setenv("SOPORTE_JWT_SECRET", "7" * 40)  # digits: from_prefixed_env would read a number
    clean_env.setenv("SOPORTE_SECRET_KEY", "k" * 40)
    app = built()
    assert app.config["JWT_SECRET"] == "7" * 40
    assert app.config["SECRET_KEY"] == "k" * 40


def test_development_generates_secrets_once_in_the_instance_folder(clean_env, built, tmp_path):
    """With debug, missing secrets are generated, kept in the instance folder, reused on restart."""
    from soporte.accounts.tokens import issue_token, read_token

    first = built({"DEBUG": True})
    jwt_secret, secret_key = first.config["JWT_SECRET"], first.config["SECRET_KEY"]
    assert len(jwt_secret.encode()) >= 32 and len(secret_key.encode()) >= 32
    assert jwt_secret != secret_key
    path = tmp_path / "instance" / "dev-jwt_secret"
    assert path.read_text().strip() == jwt_secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    with first.app_context():
        token = issue_token(Usuario(usuario="ana", nombre="Ana", rol="user"))
    again = built({"DEBUG": True})
    assert (again.config["JWT_SECRET"], again.config["SECRET_KEY"]) == (jwt_secret, secret_key)
    with again.app_context():
        assert read_token(token)["user"] == "ana"  # a login survives the restart

    elsewhere = built({"DEBUG": True}, instance="other-instance")
    assert elsewhere.config["JWT_SECRET"] != jwt_secret


def test_development_keeps_a_configured_secret(clean_env, built, tmp_path):
    app = built({"DEBUG": True, "JWT_SECRET": TEST_SECRETS["JWT_SECRET"]})
    assert app.config["JWT_SECRET"] == TEST_SECRETS["JWT_SECRET"]
    assert not (tmp_path / "instance" / "dev-jwt_secret").exists()


def test_configuration_order(clean_env, built, tmp_path):
    """Defaults, then instance/config.py, then SOPORTE_* variables, then the test mapping."""
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "config.py").write_text(
        "SUPPORT_INBOX = 'ayuda'\nMAX_MESSAGE_LENGTH = 50\nJWT_EXPIRES = 60\n"
        f"JWT_SECRET = {TEST_SECRETS['JWT_SECRET']!r}\nSECRET_KEY = {TEST_SECRETS['SECRET_KEY']!r}\n")
    clean_env.setenv("SOPORTE_MAX_MESSAGE_LENGTH", "80")
    clean_env.setenv("SOPORTE_JWT_EXPIRES", "120")
    app = built({"JWT_EXPIRES": 30})
    assert app.config["SUPPORT_INBOX"] == "ayuda"  # config.py over the default
    assert app.config["MAX_MESSAGE_LENGTH"] == 80  # the environment over config.py, as a number
    assert app.config["JWT_EXPIRES"] == 30  # the test mapping over everything
    assert app.config["REGISTRATION_OPEN"] is True  # a default nobody changed


def test_development_database_gets_demo_accounts_once(clean_env, built, tmp_path, capsys):
    """debug + an empty SQLite database: schema and two demo accounts, passwords printed once."""
    first = built({"DEBUG": True, "DEMO_ACCOUNTS": True})
    printed = capsys.readouterr().out
    passwords = {}
    for line in printed.splitlines():
        if "password:" in line:
            words = line.split()
            passwords[words[words.index("user:") + 1]] = words[words.index("password:") + 1]
    assert set(passwords) == {"admin", "cliente"}
    admin, cliente = account(first, "admin"), account(first, "cliente")
    assert (admin.rol, cliente.rol) == ("admin", "user")
    assert (admin.supervisor, cliente.supervisor) == (True, False)  # the team and reports pages to try
    assert admin.check_password(passwords["admin"]) and cliente.check_password(passwords["cliente"])

    built({"DEBUG": True, "DEMO_ACCOUNTS": True})  # a restart: nothing new, nothing printed
    assert "password:" not in capsys.readouterr().out
    assert account(first, "admin").check_password(passwords["admin"])


def test_production_never_creates_demo_accounts(clean_env, built):
    app = built({"DEMO_ACCOUNTS": True, **TEST_SECRETS})
    with app.app_context():
        assert not inspect(db.engine).has_table("usuarios")


def test_flask_cli_entry_point(clean_env, tmp_path):
    """`flask --app soporte init-db`, as the README runs it: it works and exits (no task keeps it up)."""
    url = f"sqlite:///{tmp_path}/cli.sqlite"
    env = dict(os.environ, SOPORTE_SQLALCHEMY_DATABASE_URI=url, SOPORTE_SPOOL_DIR=str(tmp_path / "spool"),
               **{f"SOPORTE_{k}": v for k, v in TEST_SECRETS.items()})
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "soporte", "init-db"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Database ready" in result.stdout
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SPOOL_DIR": str(tmp_path / "spool"),
                      **TEST_SECRETS}, instance_path=str(tmp_path / "instance"))
    with app.app_context():
        assert {"usuarios", "mensajes"} <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()


def flask_cli(tmp_path, *args, input=None, env=None):
    """Run `flask --app soporte ARGS` as an operator would: no secrets, a database of its own."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SOPORTE_", "FLASK_"))},
           "SOPORTE_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/cli.sqlite",
           "SOPORTE_SPOOL_DIR": str(tmp_path / "spool"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "soporte", *args], cwd=ROOT, env=env,
                          input=input, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args", [["--help"], ["create-user", "--help"], ["db", "upgrade"], ["init-db"],
                                  ["routes"], ["create-user", "carla", "--password", "clave-de-carla"]])
def test_one_off_commands_need_no_secrets(tmp_path, args):
    """A command that serves no requests signs nothing that outlives it: it must not ask for secrets,
    nor leave generated ones in the instance folder."""
    instance = ROOT / "instance"
    before = set(instance.iterdir()) if instance.exists() else set()
    result = flask_cli(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert "SOPORTE_JWT_SECRET" not in result.stderr
    assert set(instance.iterdir()) == before  # no dev-jwt_secret, dev-secret_key written


def test_the_server_still_needs_its_secrets(tmp_path):
    """`flask run` outside debug serves requests: without secrets it refuses to start, in one line."""
    result = flask_cli(tmp_path, "run", "--port", "1")
    assert result.returncode != 0
    assert "SOPORTE_JWT_SECRET" in result.stderr and "Traceback" not in result.stderr


def test_first_run_prints_the_demo_passwords_last_in_a_frame(tmp_path):
    """`flask run --debug` on a new database: the passwords come after the server's own banner,
    framed, so they are the last thing on the screen and not lost among pip's output above."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SOPORTE_", "FLASK_"))},
           "SOPORTE_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/first.sqlite",
           "SOPORTE_SPOOL_DIR": str(tmp_path / "spool"), "PYTHONUNBUFFERED": "1",
           **{f"SOPORTE_{k}": v for k, v in TEST_SECRETS.items()}}  # none generated in the developer's instance/
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "soporte", "run", "--debug", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)  # its reloader child is stopped with it
    lines = []
    try:
        for line in server.stdout:  # until the box closes or the debugger's PIN, the start-up's end
            lines.append(line.rstrip("\n"))
            if line.startswith("╚") or "Debugger PIN" in line:
                break
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    output = "\n".join(lines)
    top = next(i for i, line in enumerate(lines) if line.startswith("╔"))
    assert any("Running on http://127.0.0.1:" in line for line in lines[:top]), output
    assert any("Press CTRL+C to quit" in line for line in lines[:top]), output
    box = lines[top:]
    assert len({len(line) for line in box}) == 1, output  # a closed frame
    passwords = {}
    for line in box:
        if "password:" in line:
            words = line.split()
            passwords[words[words.index("user:") + 1]] = words[words.index("password:") + 1]
    assert set(passwords) == {"admin", "cliente"}, output
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": env["SOPORTE_SQLALCHEMY_DATABASE_URI"],
                      "SPOOL_DIR": str(tmp_path / "spool2"), **TEST_SECRETS}, instance_path=str(tmp_path / "i"))
    assert account(app, "admin").check_password(passwords["admin"])
    with app.app_context():
        db.engine.dispose()
