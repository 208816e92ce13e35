"""Argument parsing shared by every command, the core's and the papers': one-line errors
(exit 2), typed values that name what was wrong, and the options every command has."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from numerics import memory
from numerics.config import ConfigError, parse_prompt_length


class UsageError(Exception):
    pass


class _Once(argparse._StoreAction):
    """An option's value, given once: a second ``--claims`` would silently replace the first."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        given = namespace.__dict__.setdefault("_given", set())
        if self.dest in given:
            parser.error(f"argument {option_string}: given twice; give it once")
        given.add(self.dest)
        super().__call__(parser, namespace, values, option_string)


class Parser(argparse.ArgumentParser):
    """argparse, with one-line errors (exit 2), no abbreviated flags (``--sam`` is not
    ``--samples``: a later option with that prefix would change its meaning), and every option
    given at most once."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.register("action", None, _Once)
        self.register("action", "store", _Once)

    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        raise UsageError(message)


def _ascii(text: str, what: str) -> str:
    # Python's int() and float() also read other scripts' digits ("١٢" is 12): refused, so that
    # what is read is what a reader of the command line sees
    if not text.isascii():
        raise argparse.ArgumentTypeError(f"must be {what} in ASCII digits, got {text!r}")
    return text


def integer(text: str) -> int:
    try:
        return int(_ascii(text, "an integer"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


def seed(text: str) -> int:
    value = integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def number(text: str) -> float:
    try:
        value = float(_ascii(text, "a number"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return value


def path(text: str) -> Path:
    """A file or directory path: not empty (``Path("")`` is the working directory), no NUL."""
    if not text or "\0" in text:
        raise argparse.ArgumentTypeError(f"must be a path, got {text!r}")
    return Path(text)


def numbers(text: str) -> list[float]:
    return [number(t) for t in text.split(",")]


def positive(text: str) -> float:
    value = number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value:g}")
    return value


def prompt_length(field: str):
    """A prompt length N or M: a positive integer or inf (:func:`parse_prompt_length`)."""
    def parse(text: str) -> float:
        try:
            return parse_prompt_length(field, text)
        except ConfigError as err:
            raise argparse.ArgumentTypeError(str(err).split(": ", 1)[1]) from None
    return parse


def memory_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-memory", type=positive, default=memory.default_limit(), metavar="GIB",
                   help="refuse, before computing, inputs whose estimated memory exceeds this "
                        "many GiB: a number > 0; default half this machine's memory "
                        "(%(default).3g here)")


def debug_option(p: argparse.ArgumentParser) -> None:
    # on every subcommand too, so that ``icl-verify run --debug`` works as well
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="on an error, also print the Python traceback")
