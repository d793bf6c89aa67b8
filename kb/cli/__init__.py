"""The ``kaigo-kb`` command line: thin click commands over the stages (see :mod:`kb.cli.commands`)."""
from .commands import main

__all__ = ["main"]
