"""mcplint: a linter for Dockerfiles and Docker Compose files, and the files they pull in."""

__version__ = "0.1.0"
