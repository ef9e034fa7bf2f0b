{% from "webserver/map.jinja" import web with context %}
{% set root = pillar.get('example_root', grains.get('example_root', '/tmp/halite-example/' ~ grains['id'])) %}
include:
  - base

docroot:
  file.directory:
    - name: {{ root }}/www
    - makedirs: True
    - require:
      - file: example root

index page:
  file.managed:
    - name: {{ root }}/www/index.html
    - source: salt://webserver/files/index.html.j2
    - template: jinja
    - context:
        title: {{ pillar.get('site_title', 'Served by Halite') }}
    - require:
      - file: docroot

site config:
  file.managed:
    - name: {{ root }}/etc/{{ web.conf_dir }}/site.conf
    - makedirs: True
    - contents: |
        # managed by Halite — do not edit
        server_name {{ grains['id'] }};
        root {{ root }}/www;
        user {{ web.user }};

reload web server:
  cmd.run:
    - name: 'echo "site.conf changed on {{ grains["id"] }}: reload"'
    - onchanges:
      - file: site config
