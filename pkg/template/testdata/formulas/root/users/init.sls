{%- import "users/macros.jinja" as m with context %}
{%- set users = salt['pillar.get']('users', {}) %}
{%- set ns = namespace(sudoers=[], absent=0) %}

{%- for name, user in users.items() %}
{%-   if user.absent is defined and user.absent %}
{%-     set ns.absent = ns.absent + 1 %}
{{ name }}-absent:
  user.absent:
    - name: {{ name }}
    - purge: True
{%-     continue %}
{%-   endif %}
{{ m.user_state(name, user) }}
{%-   if user.sudo|default(false) %}
{%-     do ns.sudoers.append(name) %}
{%-   endif %}
{%-   if 'ssh_keys' in user %}
{{ m.ssh_keys(name, user.ssh_keys) }}
{%-   endif %}
{%- endfor %}

{%- if ns.sudoers %}

sudoers:
  file.managed:
    - name: /etc/sudoers.d/halite
    - mode: '0440'
    - contents: |
{%- for name in ns.sudoers %}
        {{ name }} ALL=(ALL:ALL) NOPASSWD: ALL
{%- endfor %}
{%- endif %}

# {{ users|length }} users, {{ ns.sudoers|length }} sudoers, {{ ns.absent }} removed
