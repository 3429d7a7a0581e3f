"""Several packets queued for one websocket, written to it with one sendall (a frame, a syscall and a trip through the hub each, otherwise)."""

CONTROL = 0x08  # the opcode bit of control frames (close, ping, pong): never held back


class BatchedWriter:
    """The frames of each batch that Engine.IO's writer takes from its queue, written with one sendall.

    The writer loops `packets = socket.poll()` then `ws.send(packet.encode())` for each:
    poll tells how many sends belong to the batch, and the last one writes them all.
    It never yields between those sends, so nothing else can send in the middle of a
    batch; control frames (close, pong) go at once, after what is held.
    """

    def __init__(self, send_frame, eio_socket):
        self.send_frame = send_frame  # the websocket's own write of whole frames
        self.eio_socket = eio_socket
        self.poll = eio_socket.poll
        eio_socket.poll = self.poll_batch  # this connection's alone
        self.frames = []
        self.left = 0  # sends still to come in the writer's current batch

    def poll_batch(self):
        """Engine.IO's poll, noting the batch's size when the websocket's writer is the one polling.

        Until the upgrade from long-polling is done, the polls are the polling transport's,
        and the websocket's sends (the probe's answer) must go at once.
        """
        packets = self.poll()
        if self.eio_socket.upgraded:
            self.left = len(packets)
        return packets

    def send(self, frame):
        """Hold a frame of the batch, or write the batch with it when it is the last."""
        self.frames.append(frame)
        self.left -= 1
        if self.left <= 0 or frame[0] & CONTROL:
            frames, self.frames = self.frames, []
            self.send_frame(b"".join(frames))
