"""A small webhook receiver that verifies each request with the Standard Webhooks library and
prints the events: for trying subscriptions locally (README "Integrations"), and the real
receiver of the tests and the benchmark.

    .venv/bin/python -m integrations.receiver --port 9000 --secret whsec_...

(The subscription's URL is then http://127.0.0.1:9000/ and WEBHOOK_ALLOWED_HOSTS=127.0.0.1.)
Standard library and `standardwebhooks` only: no Django.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


class Receiver:
    """An HTTP server on 127.0.0.1 in a thread. Each POST is verified with `secret`; a valid
    one is recorded in `received` (headers and parsed body) and answered with the status
    `respond()` chooses (200 by default; set `statuses` to a list to answer those first)."""

    def __init__(
        self,
        *,
        secret: str,
        port: int = 0,
        on_event: Callable[[dict, dict], None] | None = None,
        record: bool = True,
    ) -> None:
        self.webhook = Webhook(secret)
        self.webhook_secret = secret
        self.received: list[tuple[dict, dict]] = []
        self.rejected = 0
        self.statuses: list[int] = []
        self.on_event = on_event
        self.record = record
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers
            # Headers and body go out in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK hold every answer back ~40 ms.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    event = receiver.webhook.verify(body, headers)
                except WebhookVerificationError:
                    with receiver._lock:
                        receiver.rejected += 1
                    self._answer(400, b"bad signature")
                    return
                status = receiver.respond()
                if 200 <= status < 300:
                    with receiver._lock:
                        if receiver.record:
                            receiver.received.append((headers, event))
                    if receiver.on_event:
                        receiver.on_event(headers, event)
                self._answer(status, b'{"ok": true}' if status < 300 else b"not now")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def respond(self) -> int:
        with self._lock:
            return self.statuses.pop(0) if self.statuses else 200

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True, help="the subscription's whsec_… secret")
    args = parser.parse_args(argv)

    def show(headers: dict, event: dict) -> None:
        print(headers.get("webhook-id"), json.dumps(event, ensure_ascii=False), flush=True)

    receiver = Receiver(secret=args.secret, port=args.port, on_event=show, record=False)
    print(f"Listening on http://127.0.0.1:{receiver.port}/ (Ctrl-C to stop)", file=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):
        receiver.server.serve_forever()


if __name__ == "__main__":
    main()
