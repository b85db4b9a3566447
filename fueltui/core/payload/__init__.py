"""The OpenStack payload as scripts the master renders per node, one per graph task.

A release's graph names them as `script` tasks with `source: "payload:<name>"`; the master
renders the script for the node (`render_script`) from its `NodeConfig` and the cloud-wide
`PayloadData`, ships it as a file and runs it. See docs/payload.md for why scripts and not
puppet, and what each one does.
"""
