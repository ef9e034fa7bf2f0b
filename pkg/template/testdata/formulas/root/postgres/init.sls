{%- from "postgres/map.jinja" import postgres, pg_major with context %}
{%- set conf = postgres.conf_dir|default('/etc/postgresql') ~ '/' ~ pg_major ~ '/main' if grains.os_family == 'Debian' else postgres.conf_dir|default('/var/lib/pgsql/data') %}

postgres-pkg:
  pkg.installed:
    - name: {{ postgres.pkg|default('postgresql') }}{{ '-' ~ pg_major if grains.os_family == 'Debian' else '' }}

postgres-conf:
  file.managed:
    - name: {{ conf }}/postgresql.conf
    - contents: |
        port = {{ postgres.port }}
        listen_addresses = {{ postgres.listen_addresses|yaml_squote }}
{%- for key, value in postgres.settings|dictsort %}
        {{ key }} = {{ value|lower if value is sameas true or value is sameas false else value }}
{%- endfor %}

{%- for db, spec in postgres.get('databases', {})|dictsort %}

postgres-db-{{ db }}:
  postgres_database.present:
    - name: {{ db }}
    - owner: {{ spec.owner }}
    - encoding: {{ spec.encoding|default('UTF8') }}
{%- endfor %}

{%- for user, spec in postgres.get('users', {})|dictsort %}

postgres-user-{{ user }}:
  postgres_user.present:
    - name: {{ user }}
    - password: {{ spec.password|yaml_encode }}
    - superuser: {{ spec.superuser|default(False) }}
{%- endfor %}

# hba has {{ postgres.hba|length }} rules; first: {{ postgres.hba|first|join(' ') }}
# data dir {{ postgres.data_dir }}
