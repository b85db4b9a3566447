"""The master's package mirror and OS image: everything nodes install comes from here.

`fueltui mirror sync` resolves every package a release needs (its OS image and its
OpenStack payload) against the upstream Debian archive with a private apt configuration
(the host's own apt state is never touched), downloads them into a local repository signed
with the master's own key, and builds the release's OS image from that repository. The
master serves the folder read-only over HTTP on the admin network; nodes never reach out.
"""
