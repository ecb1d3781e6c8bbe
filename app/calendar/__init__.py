"""The working-day calendar: its screen (``views``), banner marks (``marks``) and CLI (``cli``)."""
