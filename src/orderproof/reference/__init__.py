"""The embedded reference implementation of the five APIs: see create_app()."""
