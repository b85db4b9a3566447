"""The few shell functions every payload script starts with, and helpers to write scripts.

The scripts run as `sh -e FILE` (POSIX sh, stdin closed) and must be idempotent: files are
replaced only when their content differs (`put_file` says `changed PATH` and returns 0, or
returns 1 when nothing changed), a service is restarted only when one of its files changed
and started when it is not running, and every step that creates something first checks
whether it exists. Values reach the scripts only inside single-quoted here-documents or
through `shlex.quote`, never spliced into a command unquoted.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping

PREAMBLE = r"""#!/bin/sh
set -eu
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 HOME=/root
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
FT_CHANGED=0

say() { printf '%s\n' "$*"; }

# put_file PATH MODE OWNER < content: replace PATH only when the content differs.
put_file() {
  mkdir -p "$(dirname "$1")"
  cat > "$1.fueltui-new"
  if [ -f "$1" ] && cmp -s "$1.fueltui-new" "$1"; then
    rm -f "$1.fueltui-new"
    return 1
  fi
  chmod "$2" "$1.fueltui-new"
  chown "$3" "$1.fueltui-new"
  mv "$1.fueltui-new" "$1"
  say "changed $1"
  FT_CHANGED=1
  return 0
}

# running NAME: is the service up? Its init script's `status` alone is not to be trusted:
# neutron's looks for a process by name, and its daemons rename themselves (setproctitle), so
# a running neutron-rpc-server was reported stopped and a changed config never restarted it.
# The pidfile start-stop-daemon wrote (/run/PROJECT/NAME.pid) names the process for sure.
running() {
  /etc/init.d/"$1" status >/dev/null 2>&1 && return 0
  for f in /run/*/"$1".pid /run/"$1".pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null) || continue
    case $pid in ''|*[!0-9]*) continue ;; esac
    # the pid is that service still, not another process that got its number
    [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$1" && return 0
  done
  return 1
}

# svc NAME: start the service when it is not running, restart it when FT_CHANGED=1.
svc() {
  if [ "$FT_CHANGED" = 1 ] && running "$1"; then
    action=restart
  elif running "$1"; then
    say "$1 running"
    return 0
  else
    action=start
  fi
  if ! /etc/init.d/"$1" "$action" </dev/null >/run/fueltui-svc.log 2>&1; then
    cat /run/fueltui-svc.log
    say "$1: $action failed"
    return 1
  fi
  say "$1: ${action}ed"
}

# wait_port HOST PORT SECONDS WHAT: fail fast, saying why, instead of hanging on retries.
wait_port() {
  n=0
  probe='import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 2).close()'
  while ! python3 -c "$probe" \
      "$1" "$2" 2>/dev/null; do
    n=$((n + 1))
    if [ "$n" -ge "$3" ]; then say "$4 does not answer on $1:$2 after $3 s"; return 1; fi
    sleep 1
  done
}

# as USER CMD...: run a command as a service user (db syncs write files that user owns).
as() {
  u=$1; shift
  runuser -u "$u" -- "$@"
}

# once KEY VALUE CMD...: run CMD only when KEY's recorded value differs, then record it.
once() {
  key=$1 value=$2; shift 2
  mkdir -p /var/lib/fueltui/once
  if [ -f "/var/lib/fueltui/once/$key" ] && [ "$(cat "/var/lib/fueltui/once/$key")" = "$value" ]; then
    say "$key: done before"
    return 0
  fi
  "$@"
  printf '%s' "$value" > "/var/lib/fueltui/once/$key"
  say "$key: done"
}

# pkgver PACKAGE: its installed version (db syncs run again after an upgrade).
pkgver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo none; }

# wait_http URL SECONDS WHAT: until the URL answers any HTTP status.
wait_http() {
  n=0
  while ! curl -s -o /dev/null --max-time 5 "$1"; do
    n=$((n + 1))
    if [ "$n" -ge "$2" ]; then say "$3 does not answer at $1 after $2 tries"; return 1; fi
    sleep 1
  done
}
"""


def q(value: object) -> str:
    return shlex.quote(str(value))


def heredoc_file(path: str, mode: str, owner: str, content: str) -> str:
    """A `put_file` call whose content is a quoted here-document (nothing expands in it)."""
    marker = "FUELTUI_EOF"
    while marker in content:
        marker += "_"
    body = content if content.endswith("\n") else content + "\n"
    return f"put_file {q(path)} {q(mode)} {q(owner)} <<'{marker}' || true\n{body}{marker}\n"


def ini(sections: Mapping[str, Mapping[str, object]], header: str = "") -> str:
    """An INI file (oslo.config style); None values are left out, booleans are lower case."""
    lines = [f"# {header}", "# Written by fueltui; every deploy rewrites it.", ""] if header else []
    for section, options in sections.items():
        lines.append(f"[{section}]")
        for key, value in options.items():
            if value is None:
                continue
            if isinstance(value, bool):
                value = "true" if value else "false"
            text = str(value)
            if "\n" in text:
                raise ValueError(f"[{section}] {key}: a value cannot span lines")
            lines.append(f"{key} = {text}")
        lines.append("")
    return "\n".join(lines)


def script(name: str, parts: Iterable[str]) -> str:
    return PREAMBLE + f"# fueltui payload: {name}\n" + "\n".join(parts) + "\n"
