"""Repository-local pytest wiring: ``pytester`` for the plugin's end-to-end tests. The orderproof
plugin itself is loaded through its ``pytest11`` entry point, as for every user."""

pytest_plugins = ["pytester"]
