"""Exit codes of the entry point: Ctrl-C inside a command is 130 with "interrupted" (typer
returns that code rather than raising it, which once made an interrupted run exit 0 with
no output); the full signal path is tested in tests/e2e/test_interrupts.py."""

from __future__ import annotations


def test_keyboard_interrupt_in_a_command_exits_130(cli, monkeypatch):
    import gigawatt.risk.run as run

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(run, "run_risk", interrupted)
    monkeypatch.setattr("gigawatt.risk.run_risk", interrupted)
    r = cli("risk", "--scenario", "stargate", "--draws", "5", "--fixed-plan", "--json")
    assert r.code == 130 and "interrupted" in r.stderr, (r.code, r.stderr)
    assert r.stdout == ""
