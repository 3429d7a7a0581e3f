"""A real SMTP server for the tests: aiosmtpd in a thread on a free port (tests/test_correo.py, tests/browser)."""
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from conftest import free_port


class Inbox:
    """What the SMTP server accepted, as parsed messages; `refuse` makes it answer 451 to every email."""

    def __init__(self):
        self.messages = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class SmtpServer:
    """aiosmtpd in a thread on a free port, which can be stopped and started again on that port (an outage)."""

    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()
        self.controller = None

    @property
    def messages(self):
        return self.inbox.messages

    def wait_for(self, count, timeout=15.0):
        """The messages once there are at least `count` of them (AssertionError after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"{len(self.messages)} emails arrived, not {count}"
            time.sleep(0.1)
        return self.messages
