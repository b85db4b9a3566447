"""Network verification: real L2 probes between nodes, the DHCP check, the deploy gate."""
