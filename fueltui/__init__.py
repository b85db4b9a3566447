"""fueltui: a keyboard-driven installer for bare-metal OpenStack clusters."""

__version__ = "0.1.0"
