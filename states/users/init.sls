{% set root = pillar.get('example_root', grains.get('example_root', '/tmp/halite-example/' ~ grains['id'])) %}
{#- Real accounts only when pillar asks for them (manage_users: true);
    otherwise the example records who would be created. #}
{% for name, user in pillar.get('users', {'deploy': {'shell': '/bin/bash'}}).items() %}
{% if pillar.get('manage_users', False) %}
user {{ name }}:
  user.present:
    - name: {{ name }}
    - shell: {{ user.get('shell', '/bin/sh') }}
{% else %}
user {{ name }}:
  file.managed:
    - name: {{ root }}/etc/users/{{ name }}
    - makedirs: True
    - contents: "shell={{ user.get('shell', '/bin/sh') }}"
{% endif %}
{% endfor %}
