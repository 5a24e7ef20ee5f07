"""Local stand-ins for calendar providers the tests cannot reach (Google, Apple, Microsoft):
each follows the provider's documented requests and answers, whose shapes are recorded in
``shapes/`` beside them, so booking's own client code runs unchanged against them."""
