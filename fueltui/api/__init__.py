"""The API definition both ends derive from: the master serves it, the client speaks it."""
