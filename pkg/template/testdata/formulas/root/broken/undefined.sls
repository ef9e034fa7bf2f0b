{%- set port = pillar['nginx']['listen_port'] %}
nginx:
  port: {{ port }}
