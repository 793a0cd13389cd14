from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from local_server import RawServer
from pytest_httpserver import HTTPServer

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared beside the checkout; tests that need it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not available")
    return SHARED


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """pytest-httpserver on 127.0.0.1, any free port (not "localhost", which may be ::1)."""
    return ("127.0.0.1", 0)


@pytest.fixture
def server(httpserver: HTTPServer) -> HTTPServer:
    """pytest-httpserver with no robots.txt (a 404: everything allowed)."""
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    return httpserver


@pytest.fixture
def raw() -> Iterator[RawServer]:
    """The raw-socket server of tests/local_server.py, for faults at the wire level."""
    server = RawServer()
    yield server
    server.close()


@pytest.fixture
def cyclic_garbage() -> Iterator[list[object]]:
    """What the garbage collector finds unreachable during the test (gc.garbage)."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
