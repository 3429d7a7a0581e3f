"""GET /healthz (alive) and GET /readyz (database reachable, writer lag and spool depth)."""
import time

from soporte import create_app

from conftest import TEST_SECRETS, free_port


def test_healthz_says_alive(client):
    """Liveness asks nothing of the database."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_with_the_database_up(client):
    """Ready: the database answered, and the writer's figures are there."""
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["database"]["ok"] is True and body["database"]["ms"] >= 0
    assert set(body["writer"]) >= {"backlog", "stored", "failures", "accepting", "replaying"}
    assert body["spool"]["depth"] == 0
    assert body["redis"] is None  # no Redis configured: nothing to report
    assert body["node"] == current_app_node(client)


def current_app_node(client):
    """The node number the app's ids get (configured or random without Redis)."""
    return client.application.extensions["soporte"].ids.node


def test_readyz_with_the_database_unreachable(tmp_path):
    """Not ready, at once, saying why without naming the database's address."""
    app = create_app({"TESTING": True, "SPOOL_DIR": str(tmp_path / "spool"), **TEST_SECRETS,
                      "SQLALCHEMY_DATABASE_URI": f"mysql+pymysql://root@127.0.0.1:{free_port()}/nadie"})
    started = time.monotonic()
    response = app.test_client().get("/readyz")
    assert time.monotonic() - started < app.config["READY_TIMEOUT"] * 2 + 1
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is False
    assert body["database"]["error"] and "127.0.0.1" not in body["database"]["error"]
    assert app.test_client().get("/healthz").status_code == 200  # alive all the same


def test_readyz_while_shutting_down(app, client):
    """A writer that no longer accepts messages makes the process unready (drain it)."""
    app.extensions["soporte"].writer.close(timeout=0.1)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["writer"]["accepting"] is False
