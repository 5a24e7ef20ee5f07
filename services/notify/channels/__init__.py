"""The ways a message reaches a person or an organisation: e-mail (SMTP, with invitations),
rendered from templates, and signed webhooks."""
