"""What notify answers: routes, request models, pages and the events it consumes. A handler
parses, calls the domain and answers."""
