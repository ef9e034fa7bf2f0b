{%- from "common/macros.jinja" import managed_file, service, each %}
{%- set motd = salt['pillar.get']('motd', {}) %}
{% call managed_file('/etc/motd', mode='0644', backup='minion') -%}
Welcome to {{ grains['fqdn'] }} ({{ grains.os }} {{ grains.osmajorrelease }})
{{ motd.get('banner', 'Authorized use only') }}
Kernel: {{ salt['cmd.run']('uname -r') }}
Contact: {{ motd.contact|default('root@localhost') }}
{%- endcall %}

{{ service('sshd', True, 'file: /etc/motd') }}
{{ service('telnetd', enabled=False) }}

roles:
  test.show_notification:
    - text: "{% call(role, n) each(grains.roles) %}{{ n }}={{ role }}{{ ' ' if n < grains.roles|length }}{% endcall %}"

{% raw -%}
# This {{ is not }} rendered {% and neither is this %}
{%- endraw %}
{#- comments vanish, and so does the whitespace before them -#}
uptime-check:
  cmd.run:
    - name: {{ salt.cmd.run('hostname -f') }} is {{ 'up' if salt['test.ping']() else 'down' }}
