{% set root = grains['root'] %}
include:
  - app

old release:
  file.absent:
    - name: {{ root }}/app/old-release

current link:
  file.symlink:
    - name: {{ root }}/app/current
    - target: {{ root }}/app/bin
    - require:
      - file: app bin dir

port bump:
  file.replace:
    - name: {{ root }}/app/conf/runtime.ini
    - pattern: "port = 8080"
    - repl: "port = 9090"
    - require:
      - file: tuning line

cleanup note:
  file.managed:
    - name: {{ root }}/app/CLEANUP
    - contents: cleaned
    - require:
      - file: old release

release notes:
  file.managed:
    - name: {{ root }}/app/NOTES
    - contents: "release 1.0"
    - require:
      - file: cleanup note
