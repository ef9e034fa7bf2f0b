{% from "sysctl/map.jinja" import sysctl with context %}
{% set root = grains['root'] %}
sysctl conf:
  file.managed:
    - name: {{ root }}/etc/sysctl.d/99-halite.conf
    - makedirs: True
    - contents: |
{%- for key, value in sysctl.params | dictsort %}
        {{ key }} = {{ value }}
{%- endfor %}
