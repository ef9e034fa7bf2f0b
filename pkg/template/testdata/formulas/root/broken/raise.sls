{%- if grains.os_family not in ['Debian', 'RedHat'] %}
{{ raise('unsupported os family ' ~ grains.os_family) }}
{%- endif %}
ok
