{%- from "libtofs/macros.jinja" import files_switch with context %}
{%- set servers = salt['pillar.get']('ntp:servers', ['0.pool.ntp.org', '1.pool.ntp.org']) %}
{%- set pkg = {'Debian': 'chrony', 'RedHat': 'chrony'}.get(grains.os_family, 'openntpd') %}

ntp-pkg:
  pkg.installed:
    - name: {{ pkg }}

ntp-config:
  file.managed:
    - name: /etc/chrony/chrony.conf
    - source: {{ files_switch(['chrony.conf'], lookup='ntp-config') }}
    - template: jinja
    - context:
        servers: {{ servers|yaml }}
        settings: {{ {'makestep': [1.0, 3], 'rtcsync': True, 'driftfile': '/var/lib/chrony/drift'}|json }}
    - check_cmd: {{ '/usr/sbin/chronyd -p -f'|quote }}

{%- set extra = dict(minpoll=4, maxpoll=9, **{'iburst': true}) %}
{%- set opts = [] %}
{%- for k, v in extra|dictsort %}
{%-   set opts = opts + ([k] if v is sameas true else [k ~ ' ' ~ v]) %}
{%- endfor %}
# server options: {{ opts|join(' ') }}
# servers ({{ servers|length }}): {% for s in servers %}{{ s }}{{ ', ' if not loop.last }}{% endfor %}
# exists: {{ salt['file.file_exists']('/etc/nginx/nginx.conf') }} ip: {{ salt['network.ip_addrs']()|first|default('none') }}
# lookups: {{ grains.get('selinux', {}).get('enforced', 'n/a') }} {{ grains.get('nosuch', 'dflt') }} {{ salt['config.get']('master') }} {{ salt['config.get']('cachedir') }}
# nested get: {{ salt['pillar.get']('nginx:servers:default:listen', 'unset') }} {{ pillar.get('nginx', {}).get('lookup', {}).get('worker_processes', 'auto') }}
# yaml block:
{{ {'servers': servers, 'pool': {'size': 4, 'prefer': none}}|yaml(false)|indent(2, true) }}
# json indent:
{{ {'b': [1, {'c': 'd'}], 'a': 'x'}|json(indent=2) }}
