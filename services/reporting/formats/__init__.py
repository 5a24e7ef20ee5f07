"""What reporting hands out: reports as JSON, CSV, HTML and PDF; invoices as PDF and Peppol
UBL."""
