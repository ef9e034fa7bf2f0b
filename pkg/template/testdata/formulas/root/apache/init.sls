{% from "apache/map.jinja" import apache with context %}

apache:
  pkg.installed:
    - name: {{ apache.server }}
  service.running:
    - name: {{ apache.service }}
    - enable: True
    - require:
      - pkg: apache

{% for module in apache.modules %}
apache-module-{{ module }}:
  cmd.run:
    - name: a2enmod {{ module }}
    - unless: test -e /etc/apache2/mods-enabled/{{ module }}.load
    - watch_in:
      - service: apache
{% endfor %}

{# The config path depends on the OS family #}
{{ apache.configfile }}:
  file.managed:
    - mode: '0644'
    - contents_pillar: apache:config
