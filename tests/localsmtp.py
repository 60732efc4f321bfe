"""A tiny SMTP server on 127.0.0.1 that records the messages it is sent (for the e-mail hook's
tests): EHLO, optional STARTTLS (given an ``ssl.SSLContext``), AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

from __future__ import annotations

import base64
import email
import email.policy
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any


@dataclass
class Mailbox:
    port: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)  # sender, recipients, data, tls, login
    logins: list[tuple[str, str]] = field(default_factory=list)

    def parsed(self) -> list[EmailMessage]:
        return [email.message_from_bytes(m["data"], policy=email.policy.default) for m in self.messages]  # type: ignore[misc]


@contextmanager
def smtp_server(tls: ssl.SSLContext | None = None) -> Iterator[Mailbox]:
    box = Mailbox()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            conn: socket.socket = self.request
            conn.settimeout(10)
            reader = conn.makefile("rb")
            secure = False
            sender, recipients, login = "", [], ""

            def say(text: str) -> None:
                conn.sendall(text.encode() + b"\r\n")

            say("220 localhost test SMTP")
            while True:
                line = reader.readline(4096)
                if not line:
                    return
                command = line.decode("utf-8", "replace").strip()
                verb = command.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    lines = ["localhost", "8BITMIME", "SMTPUTF8"]
                    if tls is not None and not secure:
                        lines.append("STARTTLS")
                    if tls is None or secure:
                        lines.append("AUTH PLAIN")
                    for text in lines[:-1]:
                        say(f"250-{text}")
                    say(f"250 {lines[-1]}")
                elif verb == "STARTTLS" and tls is not None:
                    say("220 go ahead")
                    conn = tls.wrap_socket(conn, server_side=True)
                    reader = conn.makefile("rb")
                    secure = True
                elif verb == "AUTH":
                    parts = command.split(" ")
                    raw = base64.b64decode(parts[2]).split(b"\0") if len(parts) > 2 else [b"", b"", b""]
                    login = raw[1].decode()
                    box.logins.append((login, raw[2].decode()))
                    say("235 ok")
                elif verb == "MAIL":
                    sender = command.split(":", 1)[1].split(" ")[0].strip("<>")
                    say("250 ok")
                elif verb == "RCPT":
                    recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                    say("250 ok")
                elif verb == "DATA":
                    say("354 end with .")
                    data = b""
                    while True:
                        chunk = reader.readline(1 << 20)
                        if chunk in (b".\r\n", b""):
                            break
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    box.messages.append(
                        {"sender": sender, "recipients": recipients, "data": data, "tls": secure, "login": login}
                    )
                    sender, recipients = "", []
                    say("250 queued")
                elif verb == "QUIT":
                    say("221 bye")
                    return
                else:
                    say("250 ok")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    box.port = server.server_address[1]
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
