"""The embedded development stack and deployment files."""
