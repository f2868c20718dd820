"""The `meterbot` command line: one verb per job, each usable alone.

Exit codes (README, Command line): 0 done; 1 could not run, with one clear line on
stderr; 3 done, with records or objects that need attention, with one line on
stderr saying how many and where to look; 2 is argparse's own for bad arguments.
A one-shot verb shows tracebacks only with `-v`, which is accepted before or after the
verb; `serve` and `worker` log them always (their log is the operator's record).
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

from bot import commands
from core.errors import ConfigError, MeterbotError

if TYPE_CHECKING:
    from bot.app import Services
    from core.settings import Settings

log = logging.getLogger("meterbot")


class _Parser(argparse.ArgumentParser):
    """argparse that fails with one line instead of a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for this command line: every verb listed, only the one named loaded."""
    parser = _Parser(prog="meterbot", description="Usage metering for AWS Marketplace sellers.")
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    _add_verbose(parser, default=False)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    verbs.required = True
    named = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, help_text in commands.VERBS.items():
        if name == named:
            commands.register(verbs, name)
        else:
            verbs.add_parser(name, help=help_text)
    _verbose_everywhere(verbs)
    return parser


def _add_verbose(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="log debug detail"
    )


def _verbose_everywhere(verbs: argparse._SubParsersAction) -> None:
    """`-v` after the verb too (`meterbot ingest -v`), down to `plans apply -v`.

    SUPPRESS as the default: a verb's parser leaves a `-v` given before it standing.
    """
    for sub in set(verbs.choices.values()):
        _add_verbose(sub, default=argparse.SUPPRESS)
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                _verbose_everywhere(action)


def main(argv: Sequence[str] | None = None) -> int:
    with _collector_paused(freeze=argv is None):  # None: the process's own command line
        argv = sys.argv[1:] if argv is None else argv
        args = build_parser(argv).parse_args(argv)
        # Imported once the arguments are good: `meterbot --help` needs none of this.
        from sqlalchemy.exc import OperationalError

        from bot.app import Services
        from core.settings import load_settings

    _configure_logging(
        verbose=args.verbose, tracebacks=args.verbose or getattr(args, "logs_tracebacks", False)
    )
    services: Services | None = None
    try:
        services = Services(load_settings())
        _log_run(args.verb, services.settings)
        if getattr(args, "reads_only", False):
            _check_database_exists(services.settings)
        return int(args.run(args, services) or 0)
    except MeterbotError as exc:
        return _failed(str(exc))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return _failed(f"database error: {reason}")
    except KeyboardInterrupt:
        print("meterbot: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        return _failed(f"unexpected {type(exc).__name__}: {exc} (-v for detail)")
    finally:
        if services is not None:
            services.close()


@contextmanager
def _collector_paused(*, freeze: bool) -> Iterator[None]:
    """Importing a verb builds some hundred thousand objects that live as long as the
    process (the ORM's classes, Polars'): the garbage collector's passes over them cost
    a tenth of a second of every start and free nothing. It is paused while the verb
    is imported; in a process of its own, they are then frozen out of later passes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def _log_run(verb: str, settings: Settings) -> None:
    """What this run is pointed at, for `-v`; no secret is shown, only whether it is set."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    from core.db import redact_url

    log.debug(
        "meterbot %s %s: database %s, usage %s, marketplace %s, Slack %s, channel %s",
        _version(),
        verb,
        redact_url(settings.database_url),
        settings.usage_url or "not set",
        settings.marketplace,
        "configured" if settings.slack_bot_token else "not configured",
        settings.channel or "not set",
    )


def _check_database_exists(settings: Settings) -> None:
    """A verb that only reads says the database is not there, rather than create an empty one."""
    from core.db import missing_sqlite_file

    path = missing_sqlite_file(settings.database_url)
    if path is not None:
        raise ConfigError(
            f"no database at {path.resolve()} (METERBOT_DATABASE_URL): nothing to read; set "
            "METERBOT_DATABASE_URL to your database, or run meterbot plans apply first"
        )


def _failed(line: str) -> int:
    """One line on stderr; the traceback only at debug level (`-v`)."""
    log.debug("the verb stopped here", exc_info=True)
    print(f"meterbot: {line}", file=sys.stderr)
    return 1


def _configure_logging(*, verbose: bool, tracebacks: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_Formatter(tracebacks=tracebacks))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    # Libraries' routine lines (endpoints found, migrations, HTTP chatter) would bury the
    # one line a failing verb prints; -v shows ours at DEBUG and theirs from INFO.
    for noisy in ("alembic", "botocore", "boto3", "urllib3", "s3transfer", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.WARNING)


class _Formatter(logging.Formatter):
    """Log lines with tracebacks only when asked: a bad file is one line, not forty."""

    def __init__(self, *, tracebacks: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if self.tracebacks or not (record.exc_info or record.stack_info):
            return super().format(record)
        reason = record.exc_info[1] if record.exc_info else None
        plain = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        plain.stack_info = None
        line = super().format(plain)
        return f"{line}: {type(reason).__name__}: {reason} (-v for detail)" if reason else line


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # a 20 ms import

    try:
        return version("meterbot")
    except PackageNotFoundError:
        return "unknown"


class _Version(argparse.Action):
    """`--version`, the package's metadata read only when asked."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        print(f"meterbot {_version()}")
        parser.exit()


if __name__ == "__main__":
    sys.exit(main())
