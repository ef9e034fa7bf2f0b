{% set root = pillar.get('example_root', grains.get('example_root', '/tmp/halite-example/' ~ grains['id'])) %}
{% if pillar.get('manage_cron', False) %}
log rotation:
  cron.present:
    - name: find {{ root }}/logs -name '*.log' -mtime +7 -delete
    - user: root
    - minute: 17
    - hour: 3
{% else %}
log rotation:
  file.managed:
    - name: {{ root }}/etc/cron.d/halite-example
    - makedirs: True
    - contents: "17 3 * * * root find {{ root }}/logs -name '*.log' -mtime +7 -delete"
{% endif %}
