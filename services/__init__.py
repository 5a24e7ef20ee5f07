"""The four Vertrouwd services; none imports another."""
