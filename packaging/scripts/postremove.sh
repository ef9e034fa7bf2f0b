#!/bin/sh
# Keys, the job store and logs stay on remove and on purge: they are the
# operator's (remove /etc/halite/pki and /var/lib/halite by hand).
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
