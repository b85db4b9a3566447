"""The discovery ("bootstrap") image: a Debian kernel and a small initramfs built from Debian's
packages on the master, with the master's public key baked in. Nodes PXE-boot it, take DHCP,
start an SSH server and wait to be discovered; provisioning later writes an OS from it."""
