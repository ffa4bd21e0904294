import subprocess
import sys


def test_cli_lists_its_commands():
    out = subprocess.run(
        [sys.executable, "-m", "cocoon", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "tl" in out and "wire" in out


def test_cli_rejects_unknown_command():
    proc = subprocess.run([sys.executable, "-m", "cocoon", "nope"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


def test_an_interrupted_role_stops_quietly(tmp_path):
    """SIGINT to a running role ends it with 130 and no traceback (it used to print the
    KeyboardInterrupt wrapped in its nurseries' exception groups)."""
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "cocoon", "chain", "serve", "--path", str(tmp_path / "l.sqlite")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().startswith("ledger service:")
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert "Traceback" not in err


def test_roles_package_exports_every_role():
    import cocoon.roles as roles

    for name in roles.__all__:
        assert getattr(roles, name) is not None
    assert callable(roles.run_proxy) and callable(roles.run_worker) and callable(roles.run_client)
