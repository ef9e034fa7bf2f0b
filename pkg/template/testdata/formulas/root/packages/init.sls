{%- set pkgs = salt['pillar.get']('packages', [])|unique|sort %}
{%- set extra = {'Debian': ['apt-transport-https'], 'RedHat': ['yum-utils']}.get(grains.os_family, []) %}
{%- set all_pkgs = pkgs + extra %}
base-packages:
  pkg.installed:
    - pkgs:
{%- for batch in all_pkgs|batch(2) %}
      # batch {{ loop.index }}: {{ batch|join(' ') }}
{%-   for p in batch %}
      - {{ p }}
{%-   endfor %}
{%- endfor %}

# {{ all_pkgs|length }} packages: {{ all_pkgs|join(', ') }}
# first={{ all_pkgs|first|default('-') if all_pkgs else '-' }} last={{ all_pkgs|last if all_pkgs else '-' }}
# sorted desc: {{ all_pkgs|sort(reverse=true)|list }}
# unique count matches: {{ (pkgs|length) == (salt['pillar.get']('packages', [])|unique|list|length) }}
