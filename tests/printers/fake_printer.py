"""A receipt printer on a 127.0.0.1 port that keeps the bytes it was sent, and its bad twins.

Behaviours:
- "good": reads everything, answers status requests (DLE EOT) as an ESC/POS printer with paper;
- "paper_out": answers that its paper has run out;
- "never_reads": accepts the connection and never reads a byte;
- "close_halfway": answers the status requests before the job, reads part of it, then hangs up;
- "refuses": nothing listens on its port (the connection is refused).

(Imported by name: `from fake_printer import FakePrinter`.)
"""

import socket
import threading

from escpos_stream import NeedMore, command_end

STATUS_OK = 0x12  # the fixed bits of a DLE EOT answer, nothing wrong
PAPER_OUT = 0x12 | 0x60


class FakePrinter:
    def __init__(self, behaviour: str = "good", halfway_bytes: int = 300,
                 gate: threading.Event | None = None) -> None:
        self.behaviour = behaviour
        self.halfway_bytes = halfway_bytes
        self.gate = gate  # close_halfway: hang up only once this is set (the test holds the printer mid-job)
        self.jobs: list[bytes] = []  # one per finished connection
        self.connections = 0
        self.held = 0  # connections open right now
        self._cond = threading.Condition()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._closing = threading.Event()
        self._open: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        if behaviour == "refuses":
            self._sock.close()  # the port was free a moment ago; now nothing answers on it
        else:
            self._sock.listen(8)
            self._accept_thread = threading.Thread(target=self._accept, daemon=True)
            self._accept_thread.start()

    def url(self, **options: object) -> str:
        query = "&".join(f"{k}={v}" for k, v in options.items())
        return f"tcp://127.0.0.1:{self.port}" + (f"?{query}" if query else "")

    def wait_for(self, predicate, timeout: float = 15.0) -> bool:  # noqa: ANN001
        """Wait until predicate(self) holds (checked on every change); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    def close(self) -> None:
        self._closing.set()
        if self.behaviour != "refuses":
            self._sock.close()
        for conn in list(self._open):
            try:
                conn.close()
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=5)

    def __enter__(self) -> "FakePrinter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._cond:
                self.connections += 1
                self.held += 1
                self._open.append(conn)
                self._cond.notify_all()
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()  # before it is listed: close() may join the list at any moment
            self._threads.append(t)

    def _serve(self, conn: socket.socket) -> None:
        got = bytearray()
        try:
            if self.behaviour == "never_reads":
                self._closing.wait()
                return
            pos, answered = 0, 0
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                got += chunk
                while pos < len(got):  # answer status requests that stand at a command boundary
                    try:
                        end = command_end(bytes(got), pos)
                    except NeedMore:
                        break
                    if got.startswith(b"\x10\x04", pos) and (self.behaviour != "close_halfway" or answered < 2):
                        paper = got[pos + 2] == 4
                        answer = PAPER_OUT if (paper and self.behaviour == "paper_out") else STATUS_OK
                        if self.behaviour == "paper_out" and not paper:
                            answer |= 0x08  # offline while the paper is out
                        try:
                            conn.sendall(bytes([answer]))
                        except OSError:  # closed by the test's teardown
                            return
                        answered += 1
                    pos = end
                if self.behaviour == "close_halfway" and answered >= 2 and len(got) >= self.halfway_bytes:
                    if self.gate is not None:
                        self.gate.wait(30)
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    break
        finally:
            conn.close()
            with self._cond:
                self.held -= 1
                self.jobs.append(bytes(got))
                self._cond.notify_all()
