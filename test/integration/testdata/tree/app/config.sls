{% set root = grains['root'] %}
config dir:
  file.directory:
    - name: {{ root }}/app/conf
    - makedirs: True

main config:
  file.managed:
    - name: {{ root }}/app/conf/main.ini
    - source: salt://app/files/main.ini.j2
    - template: jinja
    - context:
        port: 8080
    - mode: '0640'
    - require:
      - file: config dir

db config:
  file.managed:
    - name: {{ root }}/app/conf/db.ini
    - contents: "host=db.example\n"
    - use:
      - file: config mode template
    - require:
      - file: config dir

config mode template:
  file.managed:
    - name: {{ root }}/app/conf/defaults.ini
    - contents: "defaults=1\n"
    - mode: '0600'
    - require:
      - file: config dir

runtime config:
  file.managed:
    - name: {{ root }}/app/conf/runtime.ini
    - contents: |
        [server]
        port = 8080
    - replace: False
    - require:
      - file: config dir

tuning line:
  file.line:
    - name: {{ root }}/app/conf/runtime.ini
    - content: "workers = 4"
    - mode: ensure
    - after: "\\[server\\]"
    - require:
      - file: runtime config

config applied:
  cmd.run:
    - name: touch {{ root }}/app/conf/.applied
    - creates: {{ root }}/app/conf/.applied
    - onchanges:
      - file: main config
