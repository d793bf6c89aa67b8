"""The ``kaigo-kb`` command line: thin click commands over the stages (see :mod:`kb.cli.commands`)."""
from .commands import main

__all__ = ["main", "run"]


def run(args: list[str] | None = None, prog_name: str | None = "kaigo-kb") -> None:
    """The command line as a program runs it (``kaigo-kb``, ``python -m kb``, ``build.py``): as
    :func:`main`, but a command may end the process when it is done (:func:`kb.cli.common.finish`)."""
    from . import common

    common.OWN_PROCESS = True
    main(args, prog_name=prog_name)
