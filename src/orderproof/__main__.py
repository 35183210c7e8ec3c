from orderproof.cli import console

raise SystemExit(console())
