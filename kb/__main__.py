"""python -m kb == kaigo-kb"""
from .cli import run

run()
