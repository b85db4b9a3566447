"""Network boot served by the master: the TFTP/HTTP boot tree under `<state>/boot/` (iPXE
loaders, the chain and bootstrap scripts, one script per node that boots its disk)."""
