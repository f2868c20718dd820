"""Argument types shared by the verbs: argparse reports a bad value in one line."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def positive(what: str) -> Callable[[str], int]:
    """A type for a positive whole number of `what` (records, days)."""

    def parse(text: str) -> int:
        number = int(text) if text.strip().lstrip("+").isdigit() else 0
        if number < 1:
            raise argparse.ArgumentTypeError(f"expected a positive number of {what}, got {text}")
        return number

    return parse
