{% set root = grains['root'] %}
include:
  - app

service restart:
  cmd.wait:
    - name: echo restarted >> {{ root }}/app/logs/restarts
    - watch:
      - file: main config

stop before upgrade:
  cmd.run:
    - name: echo stopping >> {{ root }}/app/logs/events
    - prereq:
      - file: app version
    - require:
      - file: app log dir

health check:
  cmd.run:
    - name: test -x {{ root }}/app/bin/run.sh
    - unless: test -f {{ root }}/app/logs/healthy
    - require:
      - file: app script

mark healthy:
  file.managed:
    - name: {{ root }}/app/logs/healthy
    - contents: ok
    - require:
      - file: app log dir
    - onchanges_in:
      - cmd: health check

notify failure:
  cmd.run:
    - name: echo failed >> {{ root }}/app/logs/failures
    - onfail:
      - cmd: health check

reload on script change:
  cmd.wait:
    - name: echo reloaded >> {{ root }}/app/logs/events
    - watch_in:
      - file: app script
