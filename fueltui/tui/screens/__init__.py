"""One module per screen of the installer."""
