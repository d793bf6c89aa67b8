"""python -m kb == kaigo-kb"""
from .cli import main

main(prog_name="kaigo-kb")
