"""A network between a browser and a live server that a test can cut: a TCP forwarder on a
port of its own. Engines whose drivers cannot switch the network off (WebDriver has no such
command) still see a server that stops answering — connections refused — while the test
process keeps the server itself running for the other tests."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


class CuttableLink:
    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        self.listener.close()
        with self.lock:
            for s in self.open:
                with contextlib.suppress(OSError):
                    s.close()
            self.open.clear()


@contextlib.contextmanager
def cuttable(base: str) -> Iterator[CuttableLink]:
    """A link to the server at ``base`` (``http://127.0.0.1:PORT``), cut at the end."""
    link = CuttableLink(int(base.rsplit(":", 1)[1]))
    try:
        yield link
    finally:
        link.cut()
