{#- map.jinja imported with context sees this file's tpldir ("broken"),
    so its import_yaml of broken/defaults.yaml fails, in Salt too. -#}
{%- from "nginx/map.jinja" import nginx with context %}
{{ nginx.pkg }}
