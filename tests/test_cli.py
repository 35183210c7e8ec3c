"""The CLI front door: dispatch, usage errors, and a closed pipe."""

import subprocess
import sys

from orderproof.cli import COMMANDS, build_parser, main


def test_every_command_module_is_wired():
    _, modules = build_parser()
    assert sorted(m.replace("-", "_") for m in modules) == sorted(COMMANDS)


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: orderproof" in capsys.readouterr().out


def test_a_reader_that_goes_away_is_not_a_traceback():
    proc = subprocess.Popen([sys.executable, "-m", "orderproof", "faults"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()            # like `orderproof faults | head -1`
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in stderr
    assert proc.returncode in (0, 141)
