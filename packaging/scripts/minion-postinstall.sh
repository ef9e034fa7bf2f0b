#!/bin/sh
# halite-minion runs as root (its jobs manage the host); its key and
# cache are root's alone.
set -e
install -d -m 0755 /etc/halite /etc/halite/pki
install -d -m 0700 /etc/halite/pki/minion /var/cache/halite/minion
install -d -m 0750 /var/log/halite
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
