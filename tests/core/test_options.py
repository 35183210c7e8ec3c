"""The one option spec: certify (argparse) and the pytest plugin declare the same options from it,
read them into the same RunOptions, and validate them the same way."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from orderproof.core.errors import UsageError
from orderproof.core.options import (
    OPTIONS,
    REMOTE_RATE_LIMIT,
    RunOptions,
    add_options,
    parse_pins,
)


def certify_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_options(parser.add_argument)
    return parser


def pytest_parser() -> argparse.ArgumentParser:
    """What pytest's own parser receives from the plugin (its ``addoption`` takes argparse's arguments)."""
    parser = argparse.ArgumentParser()
    add_options(parser.add_argument, pytest=True)
    return parser


def flags(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {action.option_strings[0]: action for action in parser._actions if action.option_strings
            and action.option_strings[0] != "-h"}


def test_both_front_ends_declare_the_same_options_with_the_same_defaults():
    certify, plugin = flags(certify_parser()), flags(pytest_parser())
    # pytest writes its own reports; processes and shards are pytest-xdist's business there
    assert set(certify) - set(plugin) == {"--report-dir", "--jobs", "--shard"}
    assert set(plugin) - set(certify) == {"--allow-not-verified"}  # certify's exit code says it
    for flag, action in plugin.items():
        if flag not in certify:
            continue
        mine = certify[flag]
        assert (mine.dest, mine.default, mine.help, mine.type, mine.choices) == (
            action.dest, action.default, action.help, action.type, action.choices), flag
    assert "--seed" in plugin and "--orderproof-seed" not in plugin


def test_the_plugin_registers_the_spec(pytester):
    result = pytester.runpytest_subprocess("--help")
    for option in OPTIONS:
        if not option.certify_only:
            result.stdout.fnmatch_lines([f"*{option.flag}*"])


ARGS = ["--api", "bet-placement", "--api", "bet-placement", "--api", "travel-order", "--seed", "7",
        "--convention", "x.y=z", "--max-requests", "50", "--rate-limit", "0", "--request-timeout", "3"]


@pytest.mark.parametrize("parser", [certify_parser, pytest_parser])
def test_one_command_line_reads_into_the_same_options(parser):
    options = RunOptions.from_namespace(parser().parse_args(ARGS))
    assert options.apis == ("bet-placement", "travel-order")
    assert (options.seed, options.max_requests, options.request_timeout) == (7, 50, 3.0)
    assert options.conventions == {"x.y": "z"}
    assert options.requests_per_second is None                   # 0: no limit, in both
    assert options.profile == "standard" and options.report_dir == Path("reports")


@pytest.mark.parametrize("given, external, expected", [
    (None, False, None),                   # the embedded reference: no limit
    (None, True, REMOTE_RATE_LIMIT),       # a real service: gentle
    (0.0, True, None),                     # 0: no limit, for any target
    (2.5, False, 2.5),
])
def test_rate_limit_means_the_same_everywhere(given, external, expected):
    options = RunOptions(rate_limit=given, target_url="http://127.0.0.1:9" if external else None)
    assert options.requests_per_second == expected


@pytest.mark.parametrize("fields, message", [
    ({"target_url": "http://a.test", "serve": True}, "--target-url and --serve name different targets"),
    ({"target_url": "http://a.test", "fault": "x"}, "--fault applies to the embedded reference only"),
    ({"target_url": "http://a.test", "variation": "x"}, "--variation applies to the embedded reference only"),
    ({"profile": "fast"}, "unknown profile 'fast'"),
    ({"max_requests": 0}, "--max-requests must be at least 1"),
    ({"rate_limit": -1.0}, "--rate-limit must be a number of requests per second (0: no limit)"),
    ({"request_timeout": 0.0}, "--request-timeout must be a positive number"),
    ({"target_config": Path("no-such-target.yaml")}, "target file no-such-target.yaml not found"),
])
def test_bad_options_are_one_sentence(fields, message):
    with pytest.raises(UsageError) as caught:
        RunOptions(**fields)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_report_dir_that_is_a_file_is_refused(tmp_path):
    file = tmp_path / "reports"
    file.write_text("")
    with pytest.raises(UsageError, match="is a file, not a directory"):
        RunOptions(report_dir=file)


def test_pins_are_name_equals_option():
    assert parse_pins(["a.b=c", " d.e = f "]) == {"a.b": "c", "d.e": "f"}
    with pytest.raises(UsageError, match="is not NAME=OPTION"):
        parse_pins(["a.b"])


def test_the_command_names_the_same_target_and_settings(tmp_path):
    options = RunOptions(serve=True, fault="f", profile="quick", conventions={"b.x": "1", "a.y": "2"},
                         report_dir=tmp_path)
    assert options.command() == "orderproof certify --serve --fault f --convention a.y=2 --convention b.x=1 --profile quick"
    assert options.command(report_dir=True).endswith(f"--report-dir {tmp_path}")
    assert RunOptions(target_url="http://a.test/x y").command_words()[2:] == ["--target-url", "http://a.test/x y"]
    traffic = RunOptions(rate_limit=0.0, max_requests=300, request_timeout=2.5)
    assert traffic.command() == "orderproof certify --rate-limit 0 --max-requests 300 --request-timeout 2.5"
