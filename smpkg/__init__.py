"""smpkg: the knowledge graph of skills mobility partnerships."""

__version__ = "0.1.0"
