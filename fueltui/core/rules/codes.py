"""Every finding code the core emits, with what it means. The codes are a public contract:
other tools match on them, so a code is never renamed or reused for something else."""

from __future__ import annotations

from fueltui.core.disks import CODES as DISK_CODES

CODES: dict[str, str] = {
    # master boot options (path `master.*`)
    "ip-invalid": "the master's address is not a usable IPv4 host address",
    "netmask-invalid": "the master's netmask is not a contiguous mask or prefix from /2 to /30",
    "gateway-outside-subnet": "the master's gateway is not another host of the admin subnet",
    "hostname-invalid": "a host name (master FQDN, NTP server or node name) is not [a-z0-9-] labels",
    "dns-invalid": "a DNS server is not an IPv4 address, or is the master itself",
    "dns-too-many": "more than 3 upstream DNS servers",
    "dhcp-pool-invalid": "the DHCP pool has a bad address, start after end, or holds the gateway",
    "dhcp-pool-outside-subnet": "the DHCP pool is not inside the admin subnet",
    "dhcp-pool-contains-master": "the DHCP pool contains the master's own address",
    # networks (path `environment.networks.*`, `environment.neutron.*`, `environment.nova_network.*`)
    "cidr-invalid": "a CIDR is missing, malformed, has host bits set or a prefix outside /2–/30",
    "cidr-overlap": "two networks' address spaces intersect (admin included)",
    "reserved-address-space": "a CIDR lies in loopback, multicast or otherwise non-A/B/C space",
    "gateway-outside-cidr": "a network's gateway is missing (public) or not inside its CIDR",
    "gateway-is-network-or-broadcast": "a gateway is the network or broadcast address",
    "gateway-in-range": "a gateway lies inside the network's own IP range",
    "range-invalid": "an IP range is malformed or first > last (or no floating range is given)",
    "range-outside-cidr": "an IP range is not inside its network's CIDR",
    "range-overlap": "two ranges of one list overlap",
    "range-includes-network-or-broadcast": "an IP range includes its CIDR's network or broadcast address",
    "floating-outside-public": "a floating range is not inside the public CIDR",
    "floating-overlaps-public-range": "a floating range overlaps the public range or gateway",
    "vlan-out-of-range": "a VLAN id is outside 1–4094 (nova-network: 2–4094)",
    "vlan-in-segmentation-range": "a network tag is a tenant VLAN (Neutron VLAN range, nova fixed)",
    "id-range-invalid": "the Neutron VLAN range or GRE id range is missing, reversed or out of bounds",
    "internal-gateway-outside-cidr": "the tenant internal gateway is missing or outside the internal CIDR",
    "internal-cidr-overlap": "the tenant internal CIDR intersects the floating range or a network",
    "dns-duplicate": "a DNS server is listed twice",
    "not-enough-ips": "a network's range cannot give every node (and the VIPs) an address",
    "fixed-networks-dont-fit": "nova fixed networks (amount × size, size a power of two) exceed their CIDR",
    # roles (path `nodes[i].roles[j]` or `nodes`)
    "role-unknown": "a role the release does not have",
    "role-conflict": "two roles that cannot share a node",
    "role-min": "fewer nodes with a role than its minimum",
    "role-max": "more nodes with a role than its maximum",
    "role-recommended": "fewer nodes with a role than recommended (warning)",
    "role-restricted": "a role the release or the settings make unavailable",
    "mode-unavailable": "a network mode the release cannot deploy (its networks are still checked)",
    # interfaces and nodes (path `nodes[i].*`)
    "nic-unknown": "an interface assignment names a NIC the node does not have",
    "network-unknown": "a network name the environment's mode does not have",
    "admin-not-on-pxe": "the admin network is not on the NIC the node boots from",
    "untagged-conflict": "two untagged networks on one NIC",
    "vlan-duplicate-on-nic": "two networks with the same VLAN id on one NIC",
    "network-unassigned": "a network the node needs is on none of its NICs",
    "network-duplicate": "a network is assigned twice on one node",
    "node-duplicate": "the same node (admin MAC) is listed twice",
    "hostname-duplicate": "two nodes with the same host name",
    "nic-name-invalid": "a NIC name (a node's, an assignment's, the master's) is not a Linux name",
    # bonds and MTUs (path `nodes[i].bonds[j].*`, `nodes[i].mtu.*`)
    "bond-name-invalid": "a bond is named like one of the node's NICs, or two bonds share a name",
    "bond-too-few-slaves": "a bond has fewer than two NICs",
    "bond-slave-unknown": "a bond names a NIC the node does not have",
    "bond-slave-reused": "a NIC is a slave of two bonds",
    "bond-pxe-slave": "the PXE (admin) NIC is a bond slave",
    "bond-slave-has-networks": "a bond's slave carries networks of its own",
    "bond-admin-network": "the admin (PXE) network is assigned to a bond",
    "bond-option-invalid": "a LACP option (lacp_rate, xmit_hash_policy) on a bond that is not 802.3ad",
    "mtu-invalid": "an MTU outside 68..9000, or on a NIC the node does not have",
    # the answers file itself
    "environment-name-invalid": "the environment name is not letters, digits, '.', '_', '-' (at most 64)",
    "release-unknown": "the environment names a release that is not shipped",
    # Configure Disks (path `nodes[i].disks.*`): their home is `fueltui.core.disks`
    **DISK_CODES,
    # settings (path `environment.settings.*`)
    "setting-restricted": "a setting left its default while the release or other settings forbid it",
    "setting-out-of-range": "a whole-number setting is outside its bounds",
    "setting-locked": "a setting locked once the environment was deployed was changed",
    "setting-unknown": "a setting key the release does not declare",
    "setting-type": "a setting's value is not of its type (yes/no, a number, one of the choices)",
    "access-name-invalid": "the admin user or tenant is empty, has a blank or is a service's name",
    "email-invalid": "the admin e-mail is not name@host",
    "syslog-invalid": "the remote syslog target is not host:port with a port 1–65535",
    "kernel-params-invalid": "kernel parameters hold something other than word or key=value tokens",
    "tls-files-invalid": "public TLS by the operator without absolute certificate and key paths",
}
