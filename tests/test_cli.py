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


def test_roles_package_exports_every_role():
    import cocoon.roles as roles

    for name in roles.__all__:
        assert getattr(roles, name) is not None
    assert callable(roles.run_proxy) and callable(roles.run_worker) and callable(roles.run_client)
