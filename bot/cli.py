"""The `meterbot` command line: one verb per job, each usable alone.

Exit 0 on success; otherwise one clear line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from sqlalchemy.exc import OperationalError

from bot.app import Services
from bot.commands import COMMANDS
from core.errors import MeterbotError
from core.settings import load_settings

log = logging.getLogger("meterbot")


class _Parser(argparse.ArgumentParser):
    """argparse that fails with one line instead of a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="meterbot", description="Usage metering for AWS Marketplace sellers.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    verbs.required = True
    for command in COMMANDS:
        command.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # Libraries' routine INFO lines (endpoints found, migrations) would bury the one
    # line a failing verb prints.
    for noisy in ("alembic", "botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    services: Services | None = None
    try:
        services = Services(load_settings())
        return int(args.run(args, services) or 0)
    except MeterbotError as exc:
        print(f"meterbot: {exc}", file=sys.stderr)
        return 1
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        print(f"meterbot: database error: {reason}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("meterbot: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        log.debug("unexpected error", exc_info=True)
        print(f"meterbot: unexpected {type(exc).__name__}: {exc} (-v for detail)", file=sys.stderr)
        return 1
    finally:
        if services is not None:
            services.close()


if __name__ == "__main__":
    sys.exit(main())
