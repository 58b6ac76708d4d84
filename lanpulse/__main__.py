"""Allow `python -m lanpulse`."""

from lanpulse.cli import main

raise SystemExit(main())
