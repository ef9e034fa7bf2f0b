{% set root = grains['root'] %}
include:
  - .config

app dir:
  file.directory:
    - name: {{ root }}/app
    - makedirs: True

app bin dir:
  file.directory:
    - name: {{ root }}/app/bin
    - require:
      - file: app dir

app script:
  file.managed:
    - name: {{ root }}/app/bin/run.sh
    - contents: |
        #!/bin/sh
        echo "running {{ grains['id'] }}"
    - mode: '0755'
    - require:
      - file: app bin dir

app version:
  file.managed:
    - name: {{ root }}/app/VERSION
    - contents: "1.0"
    - require:
      - file: app dir
    - require_in:
      - file: app script

app log dir:
  file.directory:
    - name: {{ root }}/app/logs
    - require:
      - file: app dir

app marker:
  test.succeed_without_changes:
    - require:
      - sls: app.config
