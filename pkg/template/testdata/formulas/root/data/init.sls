{%- import_json "data/settings.json" as settings %}
{%- load_yaml as limits %}
nofile: 65536
nproc: {{ grains.num_cpus * 1024 }}
core: unlimited
enabled: yes
ratio: 0.75
octal_mode: 0755
{%- endload %}
{%- load_json as flags %}
{"debug": false, "features": ["a", "b"]}
{%- endload %}
{%- set inline = "{name: inline, count: 2, tags: [x, y]}"|load_yaml %}
app-config:
  file.serialize:
    - name: /etc/app/config.json
    - dataset: {{ settings|json }}
    - formatter: json

limits: {{ limits|yaml }}
limits_block: |
  {{ limits|yaml(False)|indent(2) }}
limits_repr: {{ limits }}
flags: {{ flags|tojson }}
inline: {{ inline.name }} {{ inline.count + 1 }} {{ inline.tags|join('+') }}
types: {{ limits.enabled is sameas true }} {{ limits.octal_mode }} {{ limits.ratio * 100 }} {{ limits.core is string }}
endpoints:
{%- for ep in settings.endpoints %}
  - {{ ep|yaml_encode }}
{%- endfor %}
tls_ca_is_none: {{ settings.tls.ca is none }}
quoted: {{ 'yes'|yaml_encode }} {{ 42|yaml_encode }} {{ "it's"|yaml_squote }} {{ 'a "b"'|yaml_dquote }}
traverse: {{ settings|traverse('tls:verify') }} {{ settings|traverse('tls:missing', 'dflt') }} {{ pillar|traverse('nginx:servers:default:listen', 0) }}
sequence: {{ 'one'|sequence|first }} {{ ['two']|sequence|first }}
