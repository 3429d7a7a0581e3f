"""The production recipe: nginx (deploy/nginx.conf) in front of two processes sharing Redis."""
import os
import shutil
import subprocess
import time
import uuid

import pytest
import requests
import socketio as socketio_client

from conftest import ROOT, LiveServer, free_port

REDIS_URL = "redis://127.0.0.1:6379/0"


def nginx_binary():
    """Debian's nginx; CI installs it, so only a developer's machine may lack it."""
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed (apt-get install nginx)")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    return path


@pytest.fixture
def behind_nginx(app, tmp_path):
    """Two soporte processes and nginx with deploy/nginx.conf pointing at them."""
    nginx = nginx_binary()
    env = {"SOPORTE_SOCKETIO_MESSAGE_QUEUE": REDIS_URL,
           "SOPORTE_SOCKETIO_CHANNEL": f"soporte-test-{uuid.uuid4().hex}"}
    servers = [LiveServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], env) for _ in range(2)]
    for server in servers:
        server.start()
    port = free_port()
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("127.0.0.1:8001", f"127.0.0.1:{servers[0].port}")
    site = site.replace("127.0.0.1:8002", f"127.0.0.1:{servers[1].port}")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    {site}
}}
""")
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(url + "/healthz", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.05)
    yield url, servers
    proc.terminate()
    proc.wait(10)
    for server in servers:
        server.stop()


def test_login_and_chat_through_nginx_across_two_processes(behind_nginx):
    """Log in through nginx, chat over its websocket with an agent on the other process."""
    url, servers = behind_nginx
    http = requests.Session()
    page = http.get(url + "/login")
    upstream = page.headers["X-Soporte-Upstream"]
    from conftest import CSRF_FIELD, PASSWORD

    token = CSRF_FIELD.search(page.text).group(1)
    response = http.post(url + "/login", allow_redirects=False,
                         data={"user": "ana", "pass": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and "token" in http.cookies
    # ip_hash sends this client to one process: put the agent on the other one
    other = next(s for s in servers if not upstream.endswith(f":{s.port}"))
    agent_http = other.login("admin")
    agent = socketio_client.SimpleClient()
    agent.connect(other.url, transports=["websocket"],
                  headers={"Cookie": f"token={agent_http.cookies['token']}"})
    customer = socketio_client.SimpleClient()
    customer.connect(url, transports=["websocket"], headers={"Cookie": f"token={http.cookies['token']}"})
    try:
        ack = customer.call("mensaje_privado", {"para": "admin", "mensaje": "vía nginx"})
        assert ack["ok"] is True
        event = agent.receive(timeout=5)
        assert event[0] == "mensaje_recibido" and event[1]["id"] == ack["id"]
        reply = agent.call("mensaje_privado", {"para": "ana", "mensaje": "recibido"})
        event = customer.receive(timeout=5)
        assert event[0] == "mensaje_recibido" and event[1]["id"] == reply["id"]
        # the reply was stored by the other process's writer: wait for it, briefly
        deadline = time.monotonic() + 5
        while True:
            history = [m["id"] for m in http.get(url + "/api/mensajes/mios").json()]
            if len(history) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert history == [ack["id"], reply["id"]]
    finally:
        customer.disconnect()
        agent.disconnect()
