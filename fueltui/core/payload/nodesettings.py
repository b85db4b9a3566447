"""The Settings page's node-wide settings as payload scripts: a remote syslog target (rsyslog
forwarding) and kernel parameters (the GRUB menu of provisioned nodes).

Both run on every node of the environment and converge: set, the node gets exactly the
rendered file; cleared, the file is removed (and the service restarted, or the menu restored).
A node that boots no kernel of its own (a namespace lab node shares the host's) takes no
kernel parameters — its task says so and passes — and rsyslog there does not read the
kernel's log (it would be the host's).
"""

from __future__ import annotations

from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.remote import remote_program
from fueltui.core.payload.shell import heredoc_file, q, script
from fueltui.core.rules.settings import KERNEL_TOKEN, syslog_problem

SYSLOG_DROPIN = "/etc/rsyslog.d/90-fueltui-remote.conf"
SYSLOG_PACKAGES = ("rsyslog",)
# rsyslog has no SysV init script in Debian 13 (orphan-sysvinit-scripts has one, but conflicts
# with systemd-sysv, which the image holds): systemd runs it where systemd booted the node,
# elsewhere (the namespace lab) the script starts rsyslogd itself, by its pidfile.
RSYSLOG = r"""rsyslog_running() {
  if [ -d /run/systemd/system ]; then systemctl is-active -q rsyslog; return; fi
  pid=$(cat /run/rsyslogd.pid 2>/dev/null) || return 1
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q rsyslogd
}
rsyslog_restart() {
  if [ -d /run/systemd/system ]; then
    systemctl enable -q rsyslog && systemctl restart rsyslog
    return
  fi
  if rsyslog_running; then
    kill "$(cat /run/rsyslogd.pid)"
    n=0; while rsyslog_running; do n=$((n+1)); [ $n -lt 20 ] || return 1; sleep 0.5; done
  fi
  rm -f /run/rsyslogd.pid
  rsyslogd
}"""
# The command line provisioning writes (`master/pxe/osfiles.py` builds its GRUB menu with it):
# kernel parameters go after it, so they can be replaced and removed without touching the rest.
BASE_KERNEL_ARGS = "console=tty0 console=ttyS0,115200n8 net.ifnames=0 biosdevname=0"
GRUB_CFG = "/boot/grub/grub.cfg"
GRUB_DROPIN = "/etc/default/grub.d/90-fueltui.cfg"
KERNEL_CMDLINE_PY = remote_program("kernel_cmdline.py.txt")

# Does this node boot a kernel of its own? Provisioned by fueltui, or booted by systemd.
OWN_KERNEL = "own_kernel() { [ -f /etc/fueltui-provisioned ] || [ -d /run/systemd/system ]; }"


# The settings rules refuse bad values on input; they are checked again here, by the same
# rules, before rendering: the values end up inside configuration files, never in a command.
def syslog_target(value: str) -> tuple[str, int] | None:
    target = value.strip()
    if not target or syslog_problem(target) is not None:
        return None
    host, _, port = target.rpartition(":")
    return host, int(port)


def kernel_params(value: str) -> str:
    """The parameters as one line (tokens the settings rules accept; anything else dropped)."""
    return " ".join(t for t in value.split() if KERNEL_TOKEN.match(t))


def syslog_dropin(host: str, port: int) -> str:
    return (
        "# fueltui: every message to the environment's remote syslog (the Settings page).\n"
        "# UDP like Fuel's default; queued in memory while the target is unreachable.\n"
        f'*.* action(type="omfwd" target="{host}" port="{port}" protocol="udp"\n'
        '           queue.type="LinkedList" queue.size="10000" action.resumeRetryCount="-1")\n'
    )


def render_syslog(view: NodeView) -> str:
    target = syslog_target(view.data.syslog)
    if target is None:
        return script(
            "syslog",
            [
                RSYSLOG,
                f"if [ -f {SYSLOG_DROPIN} ]; then",
                f"  rm -f {SYSLOG_DROPIN}",
                "  say 'syslog: remote target removed'",
                "  if rsyslog_running; then rsyslog_restart; say 'rsyslog: restarted'; fi",
                "fi",
                "say 'syslog: no remote target'",
            ],
        )
    host, port = target
    names = " ".join(SYSLOG_PACKAGES)
    return script(
        "syslog",
        [
            OWN_KERNEL,
            RSYSLOG,
            "missing=''",
            f"for p in {names}; do",
            '  [ "$(dpkg-query -W -f \'${db:Status-Status}\' "$p" 2>/dev/null)" = installed ] || '
            'missing="$missing $p"',
            "done",
            'if [ -n "$missing" ]; then say "installing:$missing"; apt-get -q -y install $missing; fi',
            # The kernel's log of a node without its own kernel is the host's: not this node's to read.
            "if ! own_kernel && grep -q '^module(load=\"imklog\")' /etc/rsyslog.conf; then",
            "  sed -i 's/^module(load=\"imklog\")/#&  # fueltui: no kernel of its own/' /etc/rsyslog.conf",
            "  say 'rsyslog: kernel log off (this node shares the host kernel)'",
            "  FT_CHANGED=1",
            "fi",
            heredoc_file(SYSLOG_DROPIN, "0644", "root:root", syslog_dropin(host, port)),
            "mkdir -p /var/spool/rsyslog",
            'out=$(rsyslogd -N1 2>&1) || { say "$out"; exit 1; }',
            'if [ "$FT_CHANGED" = 1 ] || ! rsyslog_running; then',
            "  rsyslog_restart",
            "  say 'rsyslog: (re)started'",
            "else",
            "  say 'rsyslog running'",
            "fi",
            f"say {q(f'syslog: every message forwarded to {host}:{port} (UDP)')}",
        ],
    )


def render_kernel_params(view: NodeView) -> str:
    """Provisioned nodes: the parameters after the fueltui GRUB menu's command line; nodes
    with Debian's own GRUB setup: /etc/default/grub.d and `update-grub` when it changed;
    a node without a kernel of its own: a line saying they do not apply."""
    params = kernel_params(view.data.kernel_params)
    shown = params or "(none)"
    if params:
        grub_dropin = [
            heredoc_file(
                GRUB_DROPIN, "0644", "root:root", f'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX {params}"\n'
            )
        ]
    else:
        grub_dropin = [f"if [ -f {GRUB_DROPIN} ]; then rm -f {GRUB_DROPIN}; FT_CHANGED=1; fi"]
    lab = f"kernel parameters {shown}: not applicable here, this node boots no kernel of its own "
    lab += "(a namespace lab node shares the host kernel)"
    other = f"kernel parameters {shown}: not applied, no fueltui GRUB menu and no update-grub here"
    return script(
        "kernel_params",
        [
            OWN_KERNEL,
            f"if [ -f /etc/fueltui-provisioned ] && [ -f {GRUB_CFG} ]; then",
            heredoc_file("/etc/fueltui/payload/kernel_cmdline.py", "0700", "root:root", KERNEL_CMDLINE_PY),
            f"python3 /etc/fueltui/payload/kernel_cmdline.py {GRUB_CFG} {q(BASE_KERNEL_ARGS)} {q(params)}",
            "elif [ -x /usr/sbin/update-grub ] && [ -f /etc/default/grub ]; then",
            "FT_CHANGED=0",
            *grub_dropin,
            'if [ "$FT_CHANGED" = 1 ]; then update-grub; say "update-grub: done"; fi',
            f"say {q(f'kernel parameters: {shown} (from the next boot)')}",
            "elif ! own_kernel; then",
            f"say {q(lab)}",
            "else",
            f"say {q(other)}",
            "fi",
        ],
    )
