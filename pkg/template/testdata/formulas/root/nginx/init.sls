{%- from tpldir ~ "/map.jinja" import nginx with context %}

nginx-pkg:
  pkg.installed:
    - name: {{ nginx.pkg }}
{%- if nginx.extra_pkgs %}

nginx-extra-pkgs:
  pkg.installed:
    - pkgs: {{ nginx.extra_pkgs|json }}
{%- endif %}

nginx-config:
  file.managed:
    - name: {{ nginx.config }}
    - source: salt://{{ tpldir }}/files/nginx.conf.jinja
    - template: jinja
    - user: root
    - mode: '0644'
    - context:
        workers: {{ nginx.worker_processes }}
    - require:
      - pkg: nginx-pkg

{% for name, server in nginx.servers|dictsort %}
{%-   set file = nginx.vhost_dir ~ '/' ~ name ~ '.conf' %}
{%-   if server.enabled|default(true) %}
nginx-vhost-{{ name }}:
  file.managed:
    - name: {{ file }}
    - contents: |
        {{ server.server_name }} {{ server.listen }}
    - watch_in:
      - service: nginx-service
{%-   else %}
nginx-vhost-{{ name }}-absent:
  file.absent:
    - name: {{ file }}
{%-   endif %}
{% endfor %}

nginx-service:
  service.running:
    - name: {{ nginx.service }}
    - enable: True
    - watch:
      - file: nginx-config
