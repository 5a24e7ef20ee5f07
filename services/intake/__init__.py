"""Intake: organisations, cases (meldingen), case codes and the only home of personal data."""
