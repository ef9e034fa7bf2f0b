#!/bin/sh
# halite-master runs as the system user halite, which owns its keys,
# store and logs (see contrib/systemd/halite-master.service).
set -e
if ! getent passwd halite >/dev/null 2>&1; then
    if command -v useradd >/dev/null 2>&1; then
        useradd --system --user-group --home-dir /var/lib/halite --no-create-home --shell /usr/sbin/nologin halite
    else
        addgroup -S halite 2>/dev/null || true
        adduser -S -D -H -h /var/lib/halite -s /sbin/nologin -G halite halite
    fi
fi
install -d -m 0755 /etc/halite /etc/halite/pki /var/lib/halite
install -d -o halite -g halite -m 0700 /etc/halite/pki/master /var/lib/halite/master
install -d -o halite -g halite -m 0750 /var/log/halite
chgrp halite /etc/halite/master.yaml 2>/dev/null || true
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
