"""The built-in APIs, one package each: its spec (``openapi.yaml``), its contract
(``contract.yaml``), its adapter (the package's ``api``) and its checks. They register through the
``orderproof.apis`` entry point group exactly as an outside API package does."""
