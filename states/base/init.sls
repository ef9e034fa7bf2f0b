{#- Everything the examples manage lives under one root, so the demo
    touches nothing else on the host: pillar example_root, else the
    minion's example_root grain, else /tmp/halite-example/<id>. #}
{% set root = pillar.get('example_root', grains.get('example_root', '/tmp/halite-example/' ~ grains['id'])) %}
example root:
  file.directory:
    - name: {{ root }}
    - makedirs: True
    - mode: '0755'

motd:
  file.managed:
    - name: {{ root }}/etc/motd
    - makedirs: True
    - contents: |
        {{ grains['id'] }} ({{ grains['os'] }} {{ grains.get('osrelease', '') }}) is managed by Halite.
        Roles: {{ grains.get('roles', []) | join(', ') }}
    - require:
      - file: example root
