{% from "nginx/map.jinja" import nginx with context %}
{% set root = grains['root'] %}
nginx conf dir:
  file.directory:
    - name: {{ root }}{{ nginx.conf_dir }}/{{ nginx.sites }}
    - makedirs: True

nginx main config:
  file.managed:
    - name: {{ root }}{{ nginx.conf_dir }}/nginx.conf
    - source: salt://nginx/files/nginx.conf.j2
    - template: jinja
    - context:
        cfg: {{ nginx | json }}
    - require:
      - file: nginx conf dir

nginx reload:
  cmd.wait:
    - name: echo reload >> {{ root }}/nginx-reloads
    - watch:
      - file: nginx main config
