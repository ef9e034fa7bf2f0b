{% from "apache/map.jinja" import apache, apache_settings with context %}
{{ apache.server }}
{{ apache_settings.modules }}
