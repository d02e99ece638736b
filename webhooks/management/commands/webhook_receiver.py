"""A webhook receiver to try the portal's deliveries with, on this machine:

    DEBUG=true .venv/bin/python manage.py webhook_receiver --secret whsec_...

It listens on 127.0.0.1:8765 (--host, --port), checks each POST's Standard Webhooks
signature (webhook-id, webhook-timestamp, webhook-signature) with the endpoint's signing
secret (--secret, or $WEBHOOK_SECRET), prints one line per delivery (event type, webhook-id,
the order's reference, "signature ok" or "REJECTED: why") and answers 204 to a valid delivery,
401 to one whose signature does not check out. --log FILE appends each delivery as one line
of JSON. Register http://127.0.0.1:8765/ as a webhook endpoint in the admin (plain http to
this machine is allowed with DEBUG). The check is written from the Standard Webhooks
specification, as a contractor's own receiver would write it, not with the portal's signing
code."""

import base64
import binascii
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# Deliveries older or newer than this are refused (a replay, or a clock far off).
DEFAULT_TOLERANCE = 300
MAX_BODY = 1024 * 1024


def signature_check(
    *, secret: str, headers: dict[str, str], body: bytes, now: float, tolerance: int
) -> str:
    """Why the delivery does not check out, or "" when it does. `headers` in lower case."""
    webhook_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (webhook_id and stamp and signatures):
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    try:
        sent_at = int(stamp)
    except ValueError:
        return "webhook-timestamp is not a number"
    if abs(now - sent_at) > tolerance:
        return f"webhook-timestamp {int(abs(now - sent_at))} s off (more than {tolerance} s)"
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        return "the secret is not a whsec_ secret"
    signed = f"{webhook_id}.{sent_at}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in signatures.split():
        version, _comma, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(expected, value):
            return ""
    return "signature does not match"


class ReceiverServer(ThreadingHTTPServer):
    """The HTTP server; what it received is kept in `received` (for a test or a caller that
    runs it in a thread) and, with log_path, appended to that file as JSON lines."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        secret: str,
        out: TextIO,
        log_path: Path | None = None,
        tolerance: int = DEFAULT_TOLERANCE,
    ) -> None:
        super().__init__(address, ReceiverHandler)
        self.secret = secret
        self.out = out
        self.log_path = log_path
        self.tolerance = tolerance
        self.received: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def record(self, delivery: dict) -> None:
        with self.lock:
            self.received.append(delivery)
            status = "signature ok" if delivery["verified"] else f"REJECTED: {delivery['reason']}"
            self.out.write(
                f"{delivery['received_at'][11:19]}  {delivery['type'] or '-':<22} "
                f"{delivery['webhook_id'] or '-':<40} {delivery['reference'] or '-':<16} "
                f"{status}\n"
            )
            self.out.flush()
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as log:
                    log.write(json.dumps(delivery, ensure_ascii=False) + "\n")


class ReceiverHandler(BaseHTTPRequestHandler):
    server: ReceiverServer
    server_version = "webhook-receiver"

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            self._answer(413, "too large")
            return
        body = self.rfile.read(length)
        headers = {key.lower(): value for key, value in self.headers.items()}
        reason = signature_check(
            secret=self.server.secret,
            headers=headers,
            body=body,
            now=time.time(),
            tolerance=self.server.tolerance,
        )
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        data = event.get("data", {}) if isinstance(event, dict) else {}
        self.server.record(
            {
                "received_at": timezone.localtime().isoformat(),
                "path": self.path,
                "webhook_id": headers.get("webhook-id", ""),
                "type": event.get("type", "") if isinstance(event, dict) else "",
                "reference": data.get("reference", "") if isinstance(data, dict) else "",
                "verified": not reason,
                "reason": reason,
                "event": event,
            }
        )
        if reason:
            self._answer(401, reason)
        else:
            self._answer(204)

    def _answer(self, status: int, text: str = "") -> None:
        content = text.encode()
        self.send_response(status)
        self.send_header("content-type", "text/plain; charset=utf-8")
        self.send_header("content-length", str(len(content)))
        self.end_headers()
        if content:
            self.wfile.write(content)

    def log_message(self, format, *args) -> None:
        # One line per delivery is printed by the server itself; no access log on top.
        pass


class Command(BaseCommand):
    help = (
        "Listen for webhook deliveries on this machine, check each one's signature with the "
        "endpoint's secret and print a line per event."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=DEFAULT_HOST, help="default 127.0.0.1")
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default 8765")
        parser.add_argument(
            "--secret",
            default=os.environ.get("WEBHOOK_SECRET", ""),
            help="the endpoint's signing secret (whsec_…); default $WEBHOOK_SECRET",
        )
        parser.add_argument("--log", type=Path, help="append each delivery to FILE as JSON")
        parser.add_argument(
            "--tolerance",
            type=int,
            default=DEFAULT_TOLERANCE,
            help="seconds a webhook-timestamp may be off (default 300)",
        )

    def handle(self, *args, **options) -> None:
        if not options["secret"].startswith("whsec_"):
            raise CommandError(
                "Give the endpoint's signing secret: --secret whsec_… or $WEBHOOK_SECRET."
            )
        try:
            server = ReceiverServer(
                (options["host"], options["port"]),
                secret=options["secret"],
                out=self.stdout,
                log_path=options["log"],
                tolerance=options["tolerance"],
            )
        except OSError as error:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {error}"
            ) from error
        self.stdout.write(f"Listening for webhook deliveries on {server.url} (Ctrl-C stops)")
        sys.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
