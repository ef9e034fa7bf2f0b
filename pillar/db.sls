# db_password is secret (pillar_secret_keys matches *password*): it is
# redacted in stored returns and in `halite-master pillar show`.
db_password: example-only-not-a-real-secret
users:
  postgres:
    shell: /bin/bash
