"""The tests' own servers: one whose port another process takes between the pick and its bind
starts again on a new port, instead of failing the test that needed it (CI lost runs that way)."""

import socket

import pytest

from tests.helpers import ServerProcess, child_env
from tests.helpers.net import free_port

pytestmark = pytest.mark.e2e


def test_a_server_whose_port_was_taken_starts_on_another():
    squatter = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken = free_port()
    squatter.bind(("127.0.0.1", taken))
    squatter.listen()
    try:
        server = ServerProcess(child_env({"POS_MODE": "embedded"}), port=taken, name="port-taken")
        server.port_given = False  # as if free_port had picked it, and the squatter came after
        with server:
            assert server.port != taken
            assert server.get("/health/live").status == 200
    finally:
        squatter.close()


def test_a_server_given_its_port_fails_with_the_reason_when_it_is_taken():
    squatter = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken = free_port()
    squatter.bind(("127.0.0.1", taken))
    squatter.listen()
    try:
        server = ServerProcess(child_env({"POS_MODE": "embedded"}), port=taken, name="port-given")
        with pytest.raises(AssertionError, match="exited with code"):
            server.start()
        assert server.lost_its_port() and server.port == taken
        server.stop()
    finally:
        squatter.close()
