{%- from "./map.jinja" import relative with context %}
{%- include "relative/sub/init.sls" %}
# from {{ relative['from'] }} dir {{ relative.dir }}
