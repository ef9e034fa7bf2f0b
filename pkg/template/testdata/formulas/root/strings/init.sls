{%- set host = grains.fqdn %}
{%- set parts = host.split('.') %}
{%- set domain = parts[1:]|join('.') or 'localdomain' %}
hostname:
  host.present:
    - ip: {{ grains.ipv4|last }}
    - names:
      - {{ parts[0] }}
      - {{ host }}
# domain={{ domain }} short={{ host.split('.', 1)[0]|upper }} rsplit={{ host.rsplit('.', 1) }}
# {{ 'Hostname: %s (%d cpus, %.1f GB)' % (parts[0], grains.num_cpus, grains.mem_total / 1024) }}
# {{ '{0}-{1}'.format(grains.os|lower, grains.osmajorrelease) }} {{ '{name:>10}|{n:03d}'.format(name=parts[0], n=grains.num_cpus) }}
# {{ host.startswith('web') }} {{ host.endswith(('.com', '.org')) }} {{ 'example' in host }} {{ 'x' not in host }}
# {{ host.replace('.', '_') }} {{ host[:3] }} {{ host[-3:] }} {{ host[::-1][:3] }} {{ host|length }}
# {{ '  padded  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '  a b  c '.split() }}|{{ 'a,b,,c'.split(',') }}
# {{ 'hello world'|title }} {{ 'hello world'.capitalize() }} {{ 'MiXeD'|lower }} {{ 'mixed'.upper() }}
# {{ 'a-b-c'|replace('-', '+', 1) }} {{ '%-6s|' % 'ab' }} {{ '%5.2f' % 3.14159 }} {{ '%x %o %%' % (255, 8) }}
# {{ host|regex_replace('^([a-z]+)(\\d+)\\..*$', '\\2-\\1') }} {{ host|regex_search('(\\d+)') }} {{ host|regex_match('db') }}
# {{ host is match('web|db') }} {{ ('a b'|quote) }} {{ 'x.y'|regex_escape }} {{ host|md5 }}
# {{ 'secret'|base64_encode }} {{ 'c2VjcmV0'|base64_decode }} {{ '42'|int + 1 }} {{ '3.7'|int }} {{ 'x'|int(7) }} {{ '0x1f'|int(0, 16) }} {{ '2.5'|float * 2 }}
# {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 1.0 }} {{ 10 / 5 }} {{ 3 * 'ab' }} {{ [1] * 3 }}
# {{ 1 < 2 < 3 }} {{ 'b' > 'a' }} {{ [1, 2] == [1, 2] }} {{ (1, 2) }} {{ (1,) }} {{ none }} {{ True and 'yes' }} {{ False or 0 }}
# {{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1.5e-7 }} {{ 100000000.0 }} {{ -0.5|abs }} {{ 2.567|round(2) }} {{ 2.5|round }} {{ 7|round(-1) }}
# {{ ['b', 'A', 'c']|sort }} {{ ['b', 'A', 'c']|sort(case_sensitive=true) }} {{ {'b': 1, 'a': 2}|dictsort }} {{ {'b': 1, 'a': 2}|dictsort(by='value') }}
# {{ "it's" }} {{ ["it's", 'say "hi"', 'back\\slash', 'tab\there'] }} {{ {'k': None, 1: 2.0} }}
