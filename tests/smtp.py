"""A real SMTP server on localhost for tests that send mail (the digest, account recovery).

Just enough SMTP (RFC 5321) for smtplib; it keeps what it receives in
``server.messages`` as (sender, recipients, parsed message) and refuses the
addresses in ``refuse`` with 550. With ``hold_until=n`` it answers no DATA before
n connections were opened (or a minute passed): two digest runs that both reached
the mail server are then sending at the same moment, whatever their start-up times.
"""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
from contextlib import contextmanager


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: greet, EHLO, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        with self.server.lock:
            self.server.connections += 1
            if self.server.connections >= self.server.hold_until:
                self.server.released.set()
        self.reply("220 sink ready")
        sender, recipients = None, []
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb == "MAIL":
                sender, recipients = command[10:].strip("<>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                address = command[8:].strip().strip("<>")
                if address in self.server.refuse:
                    self.reply("550 no such mailbox")
                else:
                    recipients.append(address)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                message = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
                self.server.released.wait(60)  # a guard against waiting forever
                self.server.messages.append((sender, recipients, message))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")  # RSET, NOOP


@contextmanager
def smtp_sink(refuse=(), hold_until=0):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.messages, server.refuse = [], set(refuse)
    server.lock, server.released = threading.Lock(), threading.Event()
    server.connections, server.hold_until = 0, hold_until
    if not hold_until:
        server.released.set()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
