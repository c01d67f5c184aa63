"""The one exception family: ``str()`` of each is the one-line message a user sees."""

from __future__ import annotations


class DockvenvError(Exception):
    """dockvenv could not do its job (exit code 2)."""


class InputError(DockvenvError):
    """A project file is unreadable or malformed: the message names the file and line."""


class UsageError(DockvenvError):
    """The command line or configuration asks for something impossible."""


class WriteError(DockvenvError):
    """A planned change could not be written; nothing was left half-written."""
