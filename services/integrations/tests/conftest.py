"""Fixtures every integrations test tier shares: a local server speaking Fio's JSON format and
a Fio-shaped secret to grep for."""

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

CANARY_TOKEN = "CANARY" + "q7Zx" * 14 + "Ab"  # 64 characters, unique enough to grep for
assert len(CANARY_TOKEN) == 64


# --- a local server speaking Fio's JSON format -------------------------------------------


def fio_record(movement_id: int, booked: str, amount: str, **columns: Any) -> dict[str, Any]:
    """One Fio movement; ``columns`` as ``column5="1234"``. Amount is written as a JSON number."""
    record: dict[str, Any] = {
        "column22": {"value": movement_id, "name": "ID pohybu", "id": 22},
        "column0": {"value": f"{booked}+0100", "name": "Datum", "id": 0},
        "column1": {"value": f"__NUM__{amount}", "name": "Objem", "id": 1},
        "column14": {"value": "CZK", "name": "Měna", "id": 14},
    }
    for key, value in columns.items():
        record[key] = None if value is None else {"value": value, "name": key, "id": 0}
    return record


@dataclass
class FakeFio:
    """Answers ``/periods/{token}/{from}/{to}/transactions.json`` like Fio does."""

    token: str
    records: list[dict[str, Any]] = field(default_factory=list)
    responses: list[int] = field(default_factory=list)
    """Statuses to answer before the real answer (409, 422, 500…), consumed in order."""
    requests: list[str] = field(default_factory=list)
    delay_s: float = 0.0
    """How long to hold each answer back; teardown releases a held answer at once."""
    url: str = ""
    released: threading.Event = field(default_factory=threading.Event)

    def body(self, start: str, end: str) -> bytes:
        chosen = [r for r in self.records if start <= r["column0"]["value"][:10] <= end]
        document = {
            "accountStatement": {
                "info": {
                    "accountId": "2000145399",
                    "bankId": "2010",
                    "currency": "CZK",
                    "iban": "CZ7920100000002000145399",
                    "bic": "FIOBCZPPXXX",
                    "dateStart": f"{start}+0100",
                    "dateEnd": f"{end}+0100",
                },
                "transactionList": {"transaction": chosen},
            }
        }
        text = json.dumps(document, ensure_ascii=False)
        # Fio writes amounts as JSON numbers; keep them exactly as given.
        return (
            text.replace('"__NUM__', "").replace('", "name": "Objem"', ', "name": "Objem"').encode()
        )


@pytest.fixture
def fake_fio() -> Iterator[FakeFio]:
    fio = FakeFio(token=CANARY_TOKEN)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            fio.requests.append(self.path)
            if fio.delay_s:
                fio.released.wait(fio.delay_s)
            parts = self.path.strip("/").split("/")
            # /v1/rest/periods/{token}/{from}/{to}/transactions.json
            if fio.responses:
                status = fio.responses.pop(0)
                self.send_response(status)
                self.end_headers()
                return
            if len(parts) < 6 or parts[-5] != "periods" or parts[-4] != fio.token:
                self.send_response(500)
                self.end_headers()
                return
            body = fio.body(parts[-3], parts[-2])
            self.send_response(200)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client that timed out and left is what some tests want

    server = Server(("127.0.0.1", 0), Handler)
    fio.url = f"http://127.0.0.1:{server.server_address[1]}/v1/rest"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fio
    finally:
        fio.released.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(name="fio_record")
def fio_record_fixture() -> Callable[..., dict[str, Any]]:
    """``fio_record(movement_id, "2026-01-31", "-12.50", column10="…")``."""
    return fio_record


@pytest.fixture
def canary() -> str:
    """A Fio-shaped token to grep for wherever a secret must not be."""
    return CANARY_TOKEN
