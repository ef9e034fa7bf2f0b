{% from "users/map.jinja" import users with context %}
{% set root = grains['root'] %}
{% for name, u in users | dictsort %}
user record {{ name }}:
  file.managed:
    - name: {{ root }}/users/{{ name }}
    - makedirs: True
    - contents: |
        shell={{ u.shell }}
        groups={{ u.groups | join(',') }}
{% endfor %}
