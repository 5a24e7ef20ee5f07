"""Send a report to the demo organisation's mailbox, as a mail server would deliver it
(LMTP into the embedded Dovecot); intake turns it into a case and answers in the thread
(the answer lands in the SMTP sink's folder).

    .venv/bin/python -m deploy.mailin --port 1024 "Mijn collega ..."
"""

from __future__ import annotations

import argparse
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from deploy.seed import DEMO_MAILBOX


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("text")
    parser.add_argument("--port", type=int, default=1024, help="Dovecot's LMTP port")
    parser.add_argument("--sender", default="Medewerker <medewerker@demo.example>")
    parser.add_argument("--subject", default="Melding")
    parser.add_argument("--to", default=DEMO_MAILBOX[0])
    args = parser.parse_args()
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = args.sender, args.to, args.subject
    mail["Date"], mail["Message-ID"] = formatdate(), make_msgid(domain="demo.example")
    mail.set_content(args.text)
    with smtplib.LMTP("127.0.0.1", args.port) as lmtp:
        lmtp.send_message(mail)
    print(f"delivered to {args.to}; intake reads it within seconds")


if __name__ == "__main__":
    main()
