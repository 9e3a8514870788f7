"""A real SMTP server for the email sink's tests (Debian's python3-aiosmtpd).

Usage: smtp_server.py PORT OUTDIR. Requires AUTH (user `mailer`, password
`s3cret`, allowed without TLS on loopback), refuses recipients `nobody@...`
with 550, and writes each message to OUTDIR as JSON (envelope, headers, text,
attachments). Prints `ready` once it listens.
"""

import email
import json
import logging
import os
import sys
import threading
import time
import warnings
from email import policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

PORT, OUTDIR = int(sys.argv[1]), sys.argv[2]

# AUTH without TLS is deliberate here (loopback only): keep the test output quiet.
warnings.filterwarnings("ignore")
logging.getLogger("mail.log").setLevel(logging.ERROR)


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        body = msg.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "authenticated": bool(session.authenticated),
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "subject": str(msg["subject"]),
            "message_id": str(msg["message-id"]),
            "text": body.get_content() if body is not None else None,
            "attachments": [
                {
                    "filename": part.get_filename(),
                    "content_type": part.get_content_type(),
                    "content": content(part),
                }
                for part in msg.iter_attachments()
            ],
        }
        name = "%d-%s.json" % (time.time_ns(), threading.get_ident())
        tmp = os.path.join(OUTDIR, name + ".tmp")
        with open(tmp, "w") as out:
            json.dump(record, out)
        os.rename(tmp, os.path.join(OUTDIR, name))
        return "250 Message accepted"


def content(part):
    """An attachment's content as text (bytes decoded as UTF-8, unchanged)."""
    value = part.get_content()
    return value.decode("utf-8") if isinstance(value, bytes) else value


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"mailer"
        and auth_data.password == b"s3cret"
    )
    return AuthResult(success=ok, handled=False)


controller = Controller(
    Handler(),
    hostname="127.0.0.1",
    port=PORT,
    authenticator=authenticator,
    auth_required=True,
    auth_require_tls=False,
)
controller.start()
print("ready", flush=True)
# Serve until the test ends (it kills this process) or stdin closes.
sys.stdin.read()
controller.stop()
