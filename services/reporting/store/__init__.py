"""What reporting stores: the documents as types, their collections and indexes, and their
queries."""
