"""What notify stores: the documents as types, their collections and indexes, and their
queries."""
