"""The ``run:`` hook: a command (argv, never a shell) with the incident as JSON on stdin."""

from __future__ import annotations

import os
from pathlib import Path

from incli.domain.hooks import Hook
from incli.integrations.notifiers import Delivery, Outcome

NAME = "command"


def send(hook: Hook, delivery: Delivery) -> Outcome:
    return run_command(hook, delivery.stdin, dict(delivery.env), delivery.cwd)


def run_command(hook: Hook, stdin: bytes, env: dict[str, str], cwd: Path) -> Outcome:
    import signal
    import subprocess

    assert hook.run is not None
    try:
        proc = subprocess.Popen(
            list(hook.run),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,  # its own process group, so a timeout kills what it started too
        )
    except FileNotFoundError:
        return Outcome(hook, False, f"command not found: {hook.run[0]}")
    except OSError as exc:
        return Outcome(hook, False, f"cannot run {hook.run[0]}: {exc.strerror or exc}")
    except ValueError as exc:  # a NUL or unencodable text in argv or env: the OS would refuse it
        return Outcome(hook, False, f"cannot run {hook.run[0]}: {exc}")
    try:
        _out, err = proc.communicate(stdin, timeout=hook.timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        proc.communicate()
        return Outcome(hook, False, f"timed out after {hook.timeout:g}s and was stopped")
    if proc.returncode != 0:
        last = err.decode("utf-8", "replace").strip().splitlines()
        why = f": {last[-1][:200]}" if last else ""
        return Outcome(hook, False, f"exited with status {proc.returncode}{why}")
    return Outcome(hook, True, "ran")
