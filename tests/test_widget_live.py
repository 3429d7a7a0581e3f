"""On a real server and real websockets: a widget website's page connects with its token only, never a cookie."""
import pytest
import requests
import websocket

from conftest import LiveServer
from soporte.realtime.origins import socket_origins
from test_security_live import Raw, refusal, token_of

SITE = "https://www.example.com"


@pytest.fixture
def widget_server(app, tmp_path):
    """A server whose widget may be embedded by SITE."""
    server = LiveServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], {"SOPORTE_WIDGET_ORIGINS": SITE})
    server.start()
    yield server
    server.stop()


def guest_token(server):
    answer = requests.post(server.url + "/api/widget/invitado", json={"nombre": "Lucía"}, timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


@pytest.mark.slow
def test_a_widget_sites_page_connects_with_its_token_and_never_with_the_cookie(widget_server):
    agent_cookie = token_of(widget_server, "admin")
    # the browser attached the agent's cookie to a page of the website: it is not that page's to use
    raw = Raw(widget_server, agent_cookie, origin=SITE)
    assert refusal(raw.connect()) == "No autenticado"
    raw.close()
    # with the guest's token in `auth`, the same handshake is the guest's, whatever cookie rides along
    raw = Raw(widget_server, agent_cookie, origin=SITE)
    assert raw.connect({"token": guest_token(widget_server)}).startswith("40{")
    ack_id = raw.emit({"para": "admin", "mensaje": "hola desde la web", "cid": "w1"})
    assert raw.acks(1)[ack_id]["ok"] is True
    raw.close()
    raw = Raw(widget_server, origin=SITE)
    assert refusal(raw.connect({"token": "no.es.token"})) == "Token inválido"
    raw.close()


@pytest.mark.slow
def test_other_origins_stay_refused_and_the_site_itself_keeps_its_cookie(widget_server):
    token = token_of(widget_server, "ana")
    for origin in ("https://evil.example", "https://www.example.com.evil.example", "http://www.example.com"):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            Raw(widget_server, token, origin=origin)
        assert refused.value.status_code == 400, origin
    for origin in ("same", None):  # soporte's own pages (and clients that send no Origin) as before
        raw = Raw(widget_server, token, origin=origin)
        assert raw.connect().startswith("40{"), origin
        raw.close()


def test_socket_origins_keep_same_origin_and_add_the_widgets():
    """The value given to Socket.IO: unchanged without widget origins, else theirs beside what was allowed."""
    assert socket_origins({"CORS_ALLOWED_ORIGINS": None, "WIDGET_ORIGINS": []}) is None
    assert socket_origins({"CORS_ALLOWED_ORIGINS": "*", "WIDGET_ORIGINS": [SITE]}) == "*"
    assert socket_origins({"CORS_ALLOWED_ORIGINS": "https://chat.example", "WIDGET_ORIGINS": [SITE]}) == [
        "https://chat.example", SITE]
    check = socket_origins({"CORS_ALLOWED_ORIGINS": None, "WIDGET_ORIGINS": [SITE]})
    environ = {"wsgi.url_scheme": "http", "HTTP_HOST": "soporte.local:5000"}
    assert check(SITE, environ) and check("http://soporte.local:5000", environ)
    assert check("https://soporte.example", {**environ, "HTTP_X_FORWARDED_PROTO": "https",
                                              "HTTP_X_FORWARDED_HOST": "soporte.example"})
    assert not check("https://evil.example", environ)
