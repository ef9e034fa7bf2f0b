{#- A pillar file: data computed per minion. -#}
{%- set env = opts.get('environment', 'production') %}
{%- set is_web = 'web' in grains.get('roles', []) %}
app:
  env: {{ env }}
  debug: {{ env != 'production' }}
  workers: {{ grains.num_cpus * 2 + 1 }}
  listen: {{ grains.ipv4|reject('equalto', '127.0.0.1')|first|default('127.0.0.1') }}
  web: {{ is_web|lower }}
{%- if is_web %}
  vhosts: {{ pillar.get('nginx', {}).get('servers', {})|list|sort }}
{%- endif %}
  master: {{ opts['master'] }}
  id: {{ opts.id }}
  features: {{ {'cache': grains.mem_total > 4096, 'tls': True}|yaml }}
