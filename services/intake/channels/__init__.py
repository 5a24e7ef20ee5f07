"""The ways reports and replies come and go: mailboxes (IMAP), WhatsApp, and relaying replies
into the reporter's own thread."""
