"""Erasing a customer whose message another process acknowledged and still holds in its spool (storer stopped)."""
import os
import signal

import pytest

from conftest import live_socket
from soporte.relay.spool import Spool
from test_privacy import DISPLAY, NAME, SECRET, csrf, everything_left, seed
from test_storer_process import eventually, storers


@pytest.mark.slow
def test_a_spooled_message_of_an_erased_customer_is_never_stored(app, cookie_client, live_server):
    """A real server acknowledges the customer's message, its storer is stopped; the erase happens here (another
    process); once the storer goes on, the row is dropped: nothing of the customer in any table, nor in the spool."""
    seed(app)
    spool = Spool(live_server.env["SOPORTE_SPOOL_DIR"])
    storer = eventually(lambda: storers(live_server))[0]
    os.kill(storer, signal.SIGSTOP)
    try:
        customer = live_socket(live_server, NAME)
        ack = customer.call("mensaje_privado", {"para": "admin", "mensaje": SECRET + " (en el spool)", "cid": "s1"})
        assert ack["ok"] is True
        eventually(lambda: any(row["id"] == ack["id"] for row in spool.journaled_rows()))  # acknowledged, spooled
        customer.disconnect()
        admin = cookie_client("admin")
        answer = admin.delete(f"/api/clientes/{NAME}", json={"confirmar": NAME}, headers={"X-CSRFToken": csrf(admin)})
        assert answer.status_code == 200
    finally:
        os.kill(storer, signal.SIGCONT)
    eventually(lambda: not spool.segments())  # the storer took it: stored or dropped, the segment is gone
    assert everything_left(app, NAME, DISPLAY, "en el spool") == []
    assert "dropped 1 late messages of erased customers" in live_server.log()
