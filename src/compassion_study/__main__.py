"""``python -m compassion_study`` runs the command line."""

from .cli import main

raise SystemExit(main())
