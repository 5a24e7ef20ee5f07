"""Reporting: PII-free projections, anonymised reports and trend signals."""
