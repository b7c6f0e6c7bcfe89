"""How a client command reaches the service: ``--url``, ``--token`` and the client they make."""

from __future__ import annotations

import argparse


def add_connection(parser: argparse.ArgumentParser) -> None:
    """``--url`` and ``--token`` (read by ``service_client``)."""
    parser.add_argument("--url", help="service URL (default $AUTOLOOP_URL or http://127.0.0.1:8000)")
    parser.add_argument("--token", help="API token (default $AUTOLOOP_TOKEN)")


def service_client(args: argparse.Namespace):
    """A client of the service named by ``--url`` and ``--token``."""
    from autoloop.client import Client

    return Client(args.url, args.token)
