{% set root = grains['root'] %}
include:
  - app

extend:
  app log dir:
    file.directory:
      - mode: '0750'

monitoring dir:
  file.directory:
    - name: {{ root }}/monitoring
    - makedirs: True
    - require_in:
      - file: monitoring config

monitoring config:
  file.managed:
    - name: {{ root }}/monitoring/checks.yaml
    - contents: |
        checks:
          - http://{{ grains['id'] }}:8080/health

monitoring fallback:
  file.managed:
    - name: {{ root }}/monitoring/fallback
    - contents: "fallback active"
    - onfail_in:
      - file: monitoring config

checks list:
  file.append:
    - name: {{ root }}/monitoring/extra-checks.yaml
    - text: "  - tcp://{{ grains['id'] }}:22"
    - require:
      - file: monitoring config

monitoring ready:
  test.nop:
    - require:
      - file: checks list
    - prereq_in:
      - test: monitoring noop

monitoring noop:
  test.succeed_without_changes
