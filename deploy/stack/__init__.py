"""The embedded stack: FerretDB, nats-server, Radicale, an SMTP sink, Dovecot (IMAP, the
organisations' mailboxes), nginx in front, and the four services; one module per server.

Used by ``make run`` (``python -m deploy.stack``) and by the test fixtures, which start the
same servers on free ports in a temporary folder. Each server is a child process in its own
session, so a Ctrl-C reaches only the launcher, which then stops the services first and the
servers after them, each with SIGTERM and a grace period.

Setting ``MONGODB_URI``, ``NATS_URL``, ``CALDAV_URL``, ``SMTP_HOST`` or ``INTAKE_IMAP_HOST``
uses that external server instead, and the embedded one is not started.
"""
