"""Does HOST:PORT answer as a Kafka broker? Standard library only; used by scripts/infra/kafka.sh.

Sends an ApiVersions v0 request (the one request every broker version answers, if only with
UNSUPPORTED_VERSION) and checks the reply. Exit status 0 when it answers as Kafka, 1 otherwise.
"""

from __future__ import annotations

import socket
import struct
import sys

API_VERSIONS = 18
CORRELATION_ID = 0x0C1F1C
OK_ERRORS = {0, 35}  # NONE, UNSUPPORTED_VERSION: either way it speaks Kafka


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def probe(host: str, port: int, timeout: float = 2.0) -> bool:
    client_id = b"civic-infra-probe"
    header = struct.pack(">hhih", API_VERSIONS, 0, CORRELATION_ID, len(client_id)) + client_id
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(struct.pack(">i", len(header)) + header)
            (size,) = struct.unpack(">i", _read_exactly(sock, 4))
            if not 6 <= size <= 1 << 20:
                return False
            body = _read_exactly(sock, size)
    except (OSError, ConnectionError):
        return False
    correlation_id, error_code = struct.unpack(">ih", body[:6])
    return correlation_id == CORRELATION_ID and error_code in OK_ERRORS


if __name__ == "__main__":
    sys.exit(0 if probe(sys.argv[1], int(sys.argv[2])) else 1)
