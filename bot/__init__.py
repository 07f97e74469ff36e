"""casebot's front ends: settings, the chat grammar, the desk every adapter talks to, and the CLI.

The answering itself lives in `retrieval`, which never imports from here.
"""

__version__ = "0.1.0"
