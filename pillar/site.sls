site_title: Served by Halite ({{ grains['id'] }})
webserver:
  user: www-data
users:
  deploy:
    shell: /bin/bash
  ops:
    shell: /bin/sh
