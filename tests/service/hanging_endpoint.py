"""An LLM endpoint that hangs: a TCP server on loopback that accepts every connection and never answers."""

from __future__ import annotations

import socket
import threading


class HangingEndpoint:
    """Accepts connections on ``127.0.0.1`` (random port) and holds them open, silent, until closed.

    Attributes:
        base_url: ``http://127.0.0.1:PORT/v1``.
        accepted: Connections accepted so far.
    """

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._listener.settimeout(0.2)  # so the accept loop sees close() soon
        self._held: list[socket.socket] = []
        self._stopping = threading.Event()
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/v1"
        self._thread = threading.Thread(target=self._accept, name="hanging-endpoint", daemon=True)
        self._thread.start()

    @property
    def accepted(self) -> int:
        return len(self._held)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener was closed
                return
            self._held.append(conn)

    def close(self) -> None:
        self._stopping.set()
        self._listener.close()
        for conn in self._held:
            conn.close()
        self._thread.join(5)

    def __enter__(self) -> HangingEndpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
