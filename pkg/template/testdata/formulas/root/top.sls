base:
  '*':
    - packages
    - users
{%- if grains['os_family'] in ['Debian', 'RedHat'] %}
    - sysctl
{%- endif %}
{%- for role in grains.get('roles', []) %}
  'roles:{{ role }}':
    - match: grain
    - {{ {'web': 'nginx', 'db': 'postgres', 'monitoring': 'monitoring'}.get(role, role) }}
{%- endfor %}
{%- if grains.osfinger is defined and grains.osfinger.startswith('Debian') %}
  'os:Debian':
    - match: grain
    - apache
{%- endif %}
