"""gunicorn settings, read from the working directory by `gunicorn -k eventlet -w 1 wsgi:app`."""
import logging
import os
import sys

# SIGTERM: the master stops listening and SIGKILLs a worker still alive after this long;
# the worker stops accepting, closes its sockets and flushes the writer well within it
graceful_timeout = 5
# every open websocket under gevent is a connection (gunicorn's default of 1000 would cap the chat
# there); under eventlet an idle one leaves its request, up to as many again (realtime/parking.py)
worker_connections = 20000
# gunicorn 25's control socket: unused here, and under eventlet's patching stopping it
# cost the master 2 s of every shutdown (older gunicorns ignore the setting)
control_socket_disable = True

CONNECTIONS_WAIT = 1  # seconds (an integer) the worker waits for open requests once it stops accepting
WRITER_CLOSE_TIMEOUT = 2  # seconds to store what the writer holds; the rest stays in the spool


def post_worker_init(worker):
    """Make the worker wait only CONNECTIONS_WAIT for its open connections after SIGTERM.

    gunicorn's eventlet worker waits graceful_timeout for them, and websockets never
    end by themselves (a closed one's reader even lingers until its 45 s timeout): the
    master would SIGKILL the worker before worker_exit could flush the writer. This
    changes the worker's own copy of the setting only; the master keeps its 5 s.
    """
    worker.cfg.set("graceful_timeout", CONNECTIONS_WAIT)


def worker_exit(server, worker):
    """Refuse new messages, send the acks of those journaled, close the connections, store the rest.

    By now the worker accepts no connection, so clients that reconnect reach the
    restarted server (or another one), not this one.
    """
    app = getattr(worker, "wsgi", None)
    chat = getattr(app, "extensions", {}).get("soporte")
    if chat is None:
        return
    from soporte.extensions import socketio

    chat.writer.stop_accepting()  # from here a message is refused before it is delivered
    socketio.sleep(0.05)  # the released handlers queue their deliveries and acks
    sockets = list(socketio.server.eio.sockets.values())
    for socket in sockets:
        # abort: no Engine.IO CLOSE packet, which tells some clients not to reconnect;
        # what is queued (the acks) is still sent before the websocket closes
        socket.close(wait=False, abort=True)
    socketio.sleep(0.1)  # the sockets' outboxes send and close
    stored = chat.writer.close(timeout=WRITER_CLOSE_TIMEOUT)
    chat.release_node()  # no more ids from here: a restarted worker may take the number at once
    server.log.info("soporte closed %d connections and the writer (%s)", len(sockets),
                    "all stored" if stored else "rest stays in the spool")
    exiting = sys.exc_info()[1]  # gunicorn calls this hook while the worker's SystemExit unwinds
    if isinstance(exiting, SystemExit) and exiting.code in (0, None):
        # a clean stop: skip the interpreter's teardown, which takes 1-2 s with hundreds of
        # sockets and would eat into the master's graceful_timeout (a forked child may)
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
