{%- set fw = pillar.get('firewall', {}) %}
{%- if fw.enabled is defined and fw.enabled %}
{%-   set rules = fw.rules|rejectattr('enabled', 'sameas', false)|list %}
{%-   set tcp = rules|selectattr('proto', 'equalto', 'tcp')|map(attribute='port')|list %}
{%-   set udp = rules|selectattr('proto', 'equalto', 'udp')|map(attribute='port')|list %}
iptables-rules:
  file.managed:
    - name: /etc/iptables/rules.v4
    - source: salt://firewall/files/rules.v4.jinja
    - template: jinja

# tcp ports: {{ tcp|join(', ') }}
# udp ports: {{ udp|join(', ') or 'none' }}
# restricted: {{ rules|selectattr('source', 'defined')|map(attribute='name')|join(',') }}
# open to all: {{ rules|rejectattr('source', 'defined')|map(attribute='name')|list }}
# policy: {{ fw.default_policy|default('accept')|upper }}
{%- else %}
iptables-disabled:
  test.show_notification:
    - text: firewall disabled on {{ grains.id }}
{%- endif %}
