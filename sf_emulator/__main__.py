"""Run the emulator without Django: python -m sf_emulator --port 8765."""

import argparse
import logging

from sf_emulator import server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m sf_emulator", description="Run the local Salesforce emulator."
    )
    add_arguments(parser)
    options = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    run(options)


def add_arguments(parser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to listen on"
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="port to listen on; 0 picks a free one"
    )
    parser.add_argument(
        "--data-dir",
        default=str(server.DEFAULT_DATA_DIR),
        help="directory for the database and certificates (created if missing)",
    )
    parser.add_argument(
        "--client-id",
        default=server.DEFAULT_CLIENT_ID,
        help="consumer key of the emulated connected app",
    )
    parser.add_argument(
        "--client-secret",
        default=server.DEFAULT_CLIENT_SECRET,
        help="consumer secret of the emulated connected app",
    )


def run(options) -> None:
    try:
        server.serve(
            options.host,
            options.port,
            options.data_dir,
            client_id=options.client_id,
            client_secret=options.client_secret,
        )
    except KeyboardInterrupt:
        pass
    except ValueError as error:
        raise SystemExit(f"sf_emulator: {error}") from None


if __name__ == "__main__":
    main()
