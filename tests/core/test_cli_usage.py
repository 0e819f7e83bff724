"""Usage mistakes at the command line: a short message and exit code 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from persona.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["clv-unknown-command"], "No such command 'clv-unknown-command'"),
        (["segment", "--bogus"], "No such option: --bogus"),
        (["segment"], "Missing argument"),
        (["--nope"], "No such option: --nope"),
        (["personas", "show"], "Missing argument"),
    ],
)
def test_usage_error_is_a_message_with_exit_code_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(argv)
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert code == 2
    assert message in out
    assert "Traceback" not in out
    assert "Usage:" in out


def test_installed_console_script_reports_usage_errors_cleanly() -> None:
    # The console script runs main() in a fresh interpreter: what a user sees after installing.
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from persona.cli import main; sys.exit(main())",
         "segment", "--bogus"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "No such option: --bogus" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "segment" in capsys.readouterr().out
