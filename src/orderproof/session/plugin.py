"""The orderproof pytest plugin (``pytest11`` entry point): ``orderproof certify``'s options, and a
conformance run when one is asked for.

Without a target option it changes nothing, and costs nothing: it declares the options (one spec,
:mod:`orderproof.core.options`) and loads the run itself (:mod:`.collector`, the engine and the
reference behind it) only when ``--target-url``, ``--target-config``, ``--serve``, ``--fault``,
``--variation`` or ``--api`` is given (the last three alone mean the embedded reference, in
process), or when ``orderproof certify`` runs pytest. Then pytest collects the conformance items
instead of the default test paths (in addition to paths given on the command line): one item per
(API, rule), ``test_rule[<slug>::<RULE-ID>]``.

    pytest --target-url https://staging.example.test --api <api> --seed 42
"""

from __future__ import annotations

import pytest

from orderproof.core.options import add_options

__all__ = ["TARGET_OPTIONS", "wanted"]

TARGET_OPTIONS = ("target_url", "target_config", "serve", "fault", "variation", "api")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("orderproof", "orderproof conformance (against a service or the embedded reference)")
    add_options(group.addoption, pytest=True)


def wanted(config: pytest.Config) -> bool:
    """A conformance run is asked for: a target option, or ``orderproof certify``'s collector."""
    if any(getattr(plugin, "orderproof_collector", False) for plugin in config.pluginmanager.get_plugins()):
        return True
    return any(getattr(config.option, name, None) for name in TARGET_OPTIONS)


def pytest_configure(config: pytest.Config) -> None:
    if wanted(config):
        config.pluginmanager.import_plugin("orderproof.session.collector")
