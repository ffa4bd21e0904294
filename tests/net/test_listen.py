"""Listening sockets: errors say which address they are about."""

from __future__ import annotations

import errno
import socket

import pytest

from cocoon.net.tcp import listen_tcp, open_tcp_listeners


@pytest.fixture
def taken_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_listen_tcp_names_the_address(taken_port):
    with pytest.raises(OSError, match=f"^cannot listen on 127.0.0.1:{taken_port}: ") as info:
        listen_tcp("127.0.0.1", taken_port)
    assert info.value.errno == errno.EADDRINUSE


async def test_open_tcp_listeners_names_the_address(taken_port):
    with pytest.raises(OSError, match=f"^cannot listen on 127.0.0.1:{taken_port}: ") as info:
        await open_tcp_listeners(taken_port, host="127.0.0.1")
    assert info.value.errno == errno.EADDRINUSE
    with pytest.raises(OSError, match=r"^cannot listen on no\.such\.host\.invalid:0: "):
        await open_tcp_listeners(0, host="no.such.host.invalid")
