"""notify's rules and use cases: domain types in, domain errors (shared.errors) out; no HTTP."""
