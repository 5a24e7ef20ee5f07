"""Notify: e-mail with calendar invites, reminders and webhooks."""
