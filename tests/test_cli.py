import signal
import subprocess
import sys
from pathlib import Path

import pytest


def test_cli_lists_its_commands():
    out = subprocess.run(
        [sys.executable, "-m", "cocoon", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "tl" in out and "wire" in out


def test_cli_rejects_unknown_command():
    proc = subprocess.run([sys.executable, "-m", "cocoon", "nope"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


@pytest.mark.parametrize("inherited", [signal.SIG_DFL, signal.SIG_IGN], ids=["default", "ignored"])
@pytest.mark.parametrize(
    ("signum", "status"),
    [
        # Ctrl-C: the service is cancelled, its cleanup runs, status 130 and no traceback (it
        # used to print the KeyboardInterrupt wrapped in the nurseries' exception groups).
        (signal.SIGINT, 130),
        # SIGTERM (systemd, docker): the same, status 0. Without a handler the process died.
        (signal.SIGTERM, 0),
    ],
    ids=["SIGINT", "SIGTERM"],
)
def test_a_signalled_service_stops_quietly(tmp_path, signum, status, inherited):
    """Also when the service inherits the signal ignored: a shell starts its background jobs
    with SIGINT ignored, and such a service used to go on running after SIGINT."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cocoon", "chain", "serve", "--path", str(tmp_path / "l.sqlite")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # The disposition is set here, not inherited from whoever runs the tests.
        preexec_fn=lambda: [signal.signal(s, inherited) for s in (signal.SIGINT, signal.SIGTERM)],
    )
    try:
        # The line is printed once the service runs, its signal handlers in place.
        assert proc.stdout is not None and proc.stdout.readline().startswith("ledger service:")
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == status
    assert f"{signal.Signals(signum).name}: stopping" in err and "Traceback" not in err


def test_roles_package_exports_every_role():
    import cocoon.roles as roles

    for name in roles.__all__:
        assert getattr(roles, name) is not None
    assert callable(roles.run_proxy) and callable(roles.run_worker) and callable(roles.run_client)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_role_whose_ledger_is_down_fails_in_one_line(tmp_path):
    """An unreachable chain service at start-up ends the role with one line on stderr and
    status 1 (it used to print the LedgerError in its nurseries' exception groups)."""
    import json

    config = tmp_path / "client.json"
    config.write_text(
        json.dumps(
            {
                "owner_address": "UQArc1nAWLasnWgVuEZE33FoCk3UY56-reny86qsUFv4g2iZ",
                "root_contract_address": "EQA9wzd17NjCo1aywvHNP7Erlf7yhTlMvaHhj47zXGK2mBtb",
                "node_wallet_key": "4E5qYXfgnqzwQ9HSlSMCQZFZ0H9W9dtOfn5Y97DkyN8=",
                "ledger": f"http://127.0.0.1:{_free_port()}",
                "http_port": 0,
            }
        )
    )
    proc = subprocess.run(
        [sys.executable, "-m", "cocoon", "client", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cocoon client: ledger service http://")


def test_a_port_in_use_fails_in_one_line(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "cocoon", "chain", "serve", "--path", str(tmp_path / "l"),
             "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in proc.stderr


def test_expected_errors_looks_through_exception_groups():
    from cocoon.cli import expected_errors
    from cocoon.errors import ConfigError

    bad, refused = ConfigError("bad"), ConnectionRefusedError(111, "refused")
    group = ExceptionGroup("outer", [ExceptionGroup("inner", [bad]), refused])
    assert expected_errors(group) == [bad, refused]
    assert expected_errors(ExceptionGroup("g", [bad, TypeError("bug")])) is None
    assert expected_errors(KeyError("bug")) is None


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--help"], "a running client's channels: status, charge, top up, withdraw or close"),
        (["chain", "serve", "--help"], "--host HOST address to listen on"),
        (["proxy", "--help"], "ProxyConfig in cocoon/roles/proxy/config.py"),
        (["worker", "--help"], "WorkerConfig in cocoon/roles/worker/config.py"),
        (["client", "--help"], "ClientConfig in cocoon/roles/client/config.py"),
    ],
)
def test_help_texts(argv, needle, capsys, monkeypatch):
    """client-funds was "close, withdraw or top up" (it also has status and charge), --host had
    no help, and the roles' --help did not say where their config keys are described."""
    from cocoon.cli import main

    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    assert needle in " ".join(capsys.readouterr().out.split())


def test_wire_decode_fails_when_a_stream_does_not_decode(tmp_path, capsys):
    """An operator audit saw exit status 0 after "DOES NOT DECODE"; any such stream is 1."""
    from cocoon.cli import main

    (tmp_path / "a.bin").write_bytes(b"")  # an empty stream decodes (no frames)
    assert main(["wire", "decode", str(tmp_path / "a.bin")]) == 0
    (tmp_path / "b.bin").write_bytes(b"garbage bytes")
    assert main(["wire", "decode", "-q", str(tmp_path)]) == 1
    assert "b.bin: DOES NOT DECODE" in capsys.readouterr().out


def test_a_role_reads_its_environment_over_its_config_file(tmp_path):
    """`COCOON_<KEY>` overrides the file's key (a container's settings): the ledger the client
    fails to reach is the environment's, not the file's."""
    import json
    import os

    config = tmp_path / "client.json"
    config.write_text(
        json.dumps(
            {
                "owner_address": "UQArc1nAWLasnWgVuEZE33FoCk3UY56-reny86qsUFv4g2iZ",
                "root_contract_address": "EQA9wzd17NjCo1aywvHNP7Erlf7yhTlMvaHhj47zXGK2mBtb",
                "node_wallet_key": "4E5qYXfgnqzwQ9HSlSMCQZFZ0H9W9dtOfn5Y97DkyN8=",
                "ledger": "http://127.0.0.1:1",
                "http_port": 0,
            }
        )
    )
    ledger = f"http://127.0.0.1:{_free_port()}"
    proc = subprocess.run(
        [sys.executable, "-m", "cocoon", "client", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
        env=os.environ | {"COCOON_LEDGER": ledger},
    )
    assert proc.returncode == 1
    logged, failed = proc.stderr.strip().splitlines()
    assert "COCOON_LEDGER from the environment" in logged
    assert failed.startswith(f"cocoon client: ledger service {ledger}")


def test_a_role_on_a_ton_ledger_opens_the_liteservers_of_its_global_config(tmp_path):
    """`ledger: "ton:FILE"`: the role runs on a LiteLedger over that file's liteservers (here
    none answers: the role ends in one line saying so); a missing file is a config error."""
    import json

    sample = Path(__file__).parent / "ton" / "lite" / "data" / "global-config.json"
    config = json.loads(sample.read_text())
    for server in config["liteservers"]:
        server["ip"], server["port"] = 2130706433, _free_port()  # 127.0.0.1, nobody there
    global_config = tmp_path / "global.config.json"
    global_config.write_text(json.dumps(config))
    base = {
        "owner_address": "UQArc1nAWLasnWgVuEZE33FoCk3UY56-reny86qsUFv4g2iZ",
        "root_contract_address": "EQA9wzd17NjCo1aywvHNP7Erlf7yhTlMvaHhj47zXGK2mBtb",
        "node_wallet_key": "4E5qYXfgnqzwQ9HSlSMCQZFZ0H9W9dtOfn5Y97DkyN8=",
        "http_port": 0,
    }
    results = []
    for ledger in (f"ton:{tmp_path / 'none.json'}", f"ton:{global_config}"):
        path = tmp_path / "client.json"
        path.write_text(json.dumps(base | {"ledger": ledger}))
        proc = subprocess.run(
            [sys.executable, "-m", "cocoon", "client", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        results.append((proc.returncode, proc.stderr.strip().splitlines()))
    (missing_rc, missing), (down_rc, down) = results
    assert missing_rc == 2 and missing == [
        f"cocoon: no TON global config file {tmp_path / 'none.json'}"
    ]
    # Each liteserver that cannot be reached is logged; the role ends with one line.
    assert down_rc == 1 and down[-1] == "cocoon client: 0 liteservers answered, 2 needed", down
