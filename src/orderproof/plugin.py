"""orderproof's pytest plugin (pytest11 entry point). Its options and conformance items come with
the runner; until then it only registers itself so that pytest starts."""
