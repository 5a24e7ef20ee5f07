"""The kernel every Vertrouwd service uses: settings, events, bus, db, auth, http, logging."""
