{%- set checks = [
    {'name': 'disk', 'interval': 60, 'args': ['/', '/var']},
    {'name': 'load', 'interval': 30},
    {'name': 'http', 'interval': 10, 'args': ['http://localhost/']},
    {'name': 'ntp', 'interval': 300, 'enabled': False},
] %}
{%- set ns = namespace(total=0, names=[]) %}
{%- for check in checks if check.enabled|default(True) %}
{%-   set ns.total = ns.total + check.interval %}
{%-   set ns.names = ns.names + [check.name] %}
check-{{ check.name }}:
  cron.present:
    - name: /usr/lib/monitoring/{{ check.name }}{% for a in check.get('args', []) %} {{ a|quote }}{% endfor %}
    - minute: '*/{{ [check.interval // 60, 1]|max }}'
    - comment: {{ loop.index }} of {{ loop.length }}{{ ' (first)' if loop.first }}{{ ' (last)' if loop.last }} row={{ loop.cycle('odd', 'even') }} prev={{ loop.previtem.name if not loop.first else '-' }}
{% endfor %}
# total interval {{ ns.total }} over {{ ns.names|join('/') }}
{%- set tree = {'name': 'root', 'children': [{'name': 'a', 'children': [{'name': 'a1', 'children': []}]}, {'name': 'b', 'children': []}]} %}
# tree:{% for node in [tree] recursive %} {{ '-' * loop.depth }}{{ node.name }}{{ loop(node.children) }}{% endfor %}
{%- set outer = 'outer' %}
{%- for i in range(3) %}{% set outer = 'inner' ~ i %}{% endfor %}
# scoping: {{ outer }}
{%- with a = 1, b = 2 %}
# with: {{ a + b }}
{%- endwith %}
# ranges: {{ range(5)|list }} {{ range(2, 10, 3)|list }} {{ range(10, 0, -4)|list }} {{ range(0)|list }}
# sums: {{ [1, 2, 3]|sum }} {{ checks|sum(attribute='interval') }} {{ checks|map(attribute='interval')|max }} {{ checks|map(attribute='name')|map('upper')|join(',') }}
# select: {{ range(10)|select('odd')|list }} {{ range(10)|reject('divisibleby', 3)|list }} {{ checks|selectattr('args', 'defined')|map(attribute='name')|list }}
# filter block: {% filter upper %}shout {{ grains.host }}{% endfilter %}
{%- set captured %}
  captured {{ grains.os }}
{%- endset %}
# set block: [{{ captured|trim }}]
# loop changed:{% for x in [1, 1, 2, 2, 3] %}{% if loop.changed(x) %} {{ x }}{% endif %}{% endfor %}
# break:{% for x in range(10) %}{% if x == 3 %}{% break %}{% endif %} {{ x }}{% endfor %}
# dict ops: {% set d = {'a': 1} %}{% do d.update({'b': 2}) %}{% do d.setdefault('c', 3) %}{{ d.keys()|list }} {{ d.values()|list }} {{ d.pop('a') }} {{ d }} {{ d.get('zz', 'none') }} {{ d|length }}
# list ops: {% set l = [3, 1, 2] %}{% do l.append(4) %}{% do l.extend([5]) %}{% do l.insert(0, 0) %}{{ l }} {{ l.pop() }} {{ l.index(2) }} {{ l.count(1) }} {{ l|reverse|list }} {{ l|min }} {{ l|max }}
