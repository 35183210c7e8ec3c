"""The CLI front door: dispatch, usage errors, and a closed pipe."""

import os
import subprocess
import sys

from orderproof.cli import COMMANDS, build_parser, main


def test_every_command_module_is_wired():
    _, modules = build_parser()
    assert sorted(modules.values(), key=lambda m: m.NAME) == sorted(COMMANDS, key=lambda m: m.NAME)
    assert all(name == module.NAME for name, module in modules.items())


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: orderproof" in capsys.readouterr().out


def test_a_reader_that_goes_away_is_not_a_traceback():
    read_end, write_end = os.pipe()
    os.close(read_end)             # like `orderproof faults | head -0`: nobody reads the output
    try:
        proc = subprocess.run([sys.executable, "-m", "orderproof", "faults"], stdout=write_end,
                              stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write_end)
    assert "Traceback" not in proc.stderr.decode()
    assert proc.returncode == 141


def test_every_help_fits_100_columns_and_certify_help_says_the_exit_codes(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    for name in [None] + [module.NAME for module in COMMANDS]:
        argv = ["--help"] if name is None else [name, "--help"]
        try:
            main(argv)
        except SystemExit as exit_:
            assert exit_.code == 0
        out = capsys.readouterr().out
        assert out and max(len(line) for line in out.splitlines()) <= 100, name
        if name == "certify":
            assert "exit codes:" in out and "130  interrupted" in out and "provider_states:" in out


def test_a_url_target_never_imports_the_embedded_reference():
    """FastAPI and the reference's five APIs (about 0.3 s of every process start) load only where the
    embedded reference runs: not for the CLI, nor for a run against a URL."""
    probe = ("import sys\n"
             "from orderproof.cli import build_parser\n"
             "from orderproof.core.options import RunOptions\n"
             "from orderproof.engine.target import resolve_target\n"
             "build_parser()\n"
             "resolve_target(RunOptions(target_url='http://127.0.0.1:9'), check_reachable=False)\n"
             "print('fastapi' in sys.modules, 'orderproof.reference.app' in sys.modules)\n"
             "from orderproof import reference\n"
             "reference.create_app\n"
             "print('fastapi' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "True"]
