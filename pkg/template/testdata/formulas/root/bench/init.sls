{#- Benchmark template: a 200-line highstate-style SLS mixing the usual
    formula idioms (map.jinja import, macros, loops, filters, salt calls). -#}
{%- from "nginx/map.jinja" import nginx %}
{%- import "users/macros.jinja" as m with context %}
{%- set users = salt['pillar.get']('users', {}) %}
{%- set fw = salt['pillar.get']('firewall', {}) %}
{%- set ns = namespace(count=0) %}

include:
  - nginx
  - users

# ---- section 1 ----
{%- for name, server in nginx.servers|dictsort if server.enabled|default(true) %}
{%-   set ns.count = ns.count + 1 %}
bench-1-vhost-{{ name }}:
  file.managed:
    - name: {{ nginx.vhost_dir }}/{{ name }}-1.conf
    - user: {{ nginx.user }}
    - mode: '0644'
    - contents: |
        server {{ '{' }}
          listen {{ server.listen }};
          server_name {{ server.server_name|lower }};
          root {{ server.root }};
        {{ '}' }}
    - require:
      - pkg: nginx-pkg
{%- endfor %}
{%- for name, user in users|dictsort if not user.get('absent') %}
{{ m.user_state(name ~ '-1', user) }}
{%- endfor %}
bench-1-firewall:
  test.show_notification:
    - text: "{{ fw.get('rules', [])|selectattr('proto', 'equalto', 'tcp')|map(attribute='port')|join(',') }} on {{ grains['id'] }} ({{ '%s/%d' % (grains.os, grains.osmajorrelease) }})"
# ---- section 2 ----
{%- for name, server in nginx.servers|dictsort if server.enabled|default(true) %}
{%-   set ns.count = ns.count + 1 %}
bench-2-vhost-{{ name }}:
  file.managed:
    - name: {{ nginx.vhost_dir }}/{{ name }}-2.conf
    - user: {{ nginx.user }}
    - mode: '0644'
    - contents: |
        server {{ '{' }}
          listen {{ server.listen }};
          server_name {{ server.server_name|lower }};
          root {{ server.root }};
        {{ '}' }}
    - require:
      - pkg: nginx-pkg
{%- endfor %}
{%- for name, user in users|dictsort if not user.get('absent') %}
{{ m.user_state(name ~ '-2', user) }}
{%- endfor %}
bench-2-firewall:
  test.show_notification:
    - text: "{{ fw.get('rules', [])|selectattr('proto', 'equalto', 'tcp')|map(attribute='port')|join(',') }} on {{ grains['id'] }} ({{ '%s/%d' % (grains.os, grains.osmajorrelease) }})"
# ---- section 3 ----
{%- for name, server in nginx.servers|dictsort if server.enabled|default(true) %}
{%-   set ns.count = ns.count + 1 %}
bench-3-vhost-{{ name }}:
  file.managed:
    - name: {{ nginx.vhost_dir }}/{{ name }}-3.conf
    - user: {{ nginx.user }}
    - mode: '0644'
    - contents: |
        server {{ '{' }}
          listen {{ server.listen }};
          server_name {{ server.server_name|lower }};
          root {{ server.root }};
        {{ '}' }}
    - require:
      - pkg: nginx-pkg
{%- endfor %}
{%- for name, user in users|dictsort if not user.get('absent') %}
{{ m.user_state(name ~ '-3', user) }}
{%- endfor %}
bench-3-firewall:
  test.show_notification:
    - text: "{{ fw.get('rules', [])|selectattr('proto', 'equalto', 'tcp')|map(attribute='port')|join(',') }} on {{ grains['id'] }} ({{ '%s/%d' % (grains.os, grains.osmajorrelease) }})"
# ---- section 4 ----
{%- for name, server in nginx.servers|dictsort if server.enabled|default(true) %}
{%-   set ns.count = ns.count + 1 %}
bench-4-vhost-{{ name }}:
  file.managed:
    - name: {{ nginx.vhost_dir }}/{{ name }}-4.conf
    - user: {{ nginx.user }}
    - mode: '0644'
    - contents: |
        server {{ '{' }}
          listen {{ server.listen }};
          server_name {{ server.server_name|lower }};
          root {{ server.root }};
        {{ '}' }}
    - require:
      - pkg: nginx-pkg
{%- endfor %}
{%- for name, user in users|dictsort if not user.get('absent') %}
{{ m.user_state(name ~ '-4', user) }}
{%- endfor %}
bench-4-firewall:
  test.show_notification:
    - text: "{{ fw.get('rules', [])|selectattr('proto', 'equalto', 'tcp')|map(attribute='port')|join(',') }} on {{ grains['id'] }} ({{ '%s/%d' % (grains.os, grains.osmajorrelease) }})"
# ---- section 5 ----
{%- for name, server in nginx.servers|dictsort if server.enabled|default(true) %}
{%-   set ns.count = ns.count + 1 %}
bench-5-vhost-{{ name }}:
  file.managed:
    - name: {{ nginx.vhost_dir }}/{{ name }}-5.conf
    - user: {{ nginx.user }}
    - mode: '0644'
    - contents: |
        server {{ '{' }}
          listen {{ server.listen }};
          server_name {{ server.server_name|lower }};
          root {{ server.root }};
        {{ '}' }}
    - require:
      - pkg: nginx-pkg
{%- endfor %}
{%- for name, user in users|dictsort if not user.get('absent') %}
{{ m.user_state(name ~ '-5', user) }}
{%- endfor %}
bench-5-firewall:
  test.show_notification:
    - text: "{{ fw.get('rules', [])|selectattr('proto', 'equalto', 'tcp')|map(attribute='port')|join(',') }} on {{ grains['id'] }} ({{ '%s/%d' % (grains.os, grains.osmajorrelease) }})"
# ---- section 6 ----
{%- for name, server in nginx.servers|dictsort if server.enabled|default(true) %}
{%-   set ns.count = ns.count + 1 %}
bench-6-vhost-{{ name }}:
  file.managed:
    - name: {{ nginx.vhost_dir }}/{{ name }}-6.conf
    - user: {{ nginx.user }}
    - mode: '0644'
    - contents: |
        server {{ '{' }}
          listen {{ server.listen }};
          server_name {{ server.server_name|lower }};
          root {{ server.root }};
        {{ '}' }}
    - require:
      - pkg: nginx-pkg
{%- endfor %}
{%- for name, user in users|dictsort if not user.get('absent') %}
{{ m.user_state(name ~ '-6', user) }}
{%- endfor %}
bench-6-firewall:
  test.show_notification:
    - text: "{{ fw.get('rules', [])|selectattr('proto', 'equalto', 'tcp')|map(attribute='port')|join(',') }} on {{ grains['id'] }} ({{ '%s/%d' % (grains.os, grains.osmajorrelease) }})"
# ---- section 7 ----
{%- for name, server in nginx.servers|dictsort if server.enabled|default(true) %}
{%-   set ns.count = ns.count + 1 %}
bench-7-vhost-{{ name }}:
  file.managed:
    - name: {{ nginx.vhost_dir }}/{{ name }}-7.conf
    - user: {{ nginx.user }}
    - mode: '0644'
    - contents: |
        server {{ '{' }}
          listen {{ server.listen }};
          server_name {{ server.server_name|lower }};
          root {{ server.root }};
        {{ '}' }}
    - require:
      - pkg: nginx-pkg
{%- endfor %}
{%- for name, user in users|dictsort if not user.get('absent') %}
{{ m.user_state(name ~ '-7', user) }}
{%- endfor %}
bench-7-firewall:
  test.show_notification:
    - text: "{{ fw.get('rules', [])|selectattr('proto', 'equalto', 'tcp')|map(attribute='port')|join(',') }} on {{ grains['id'] }} ({{ '%s/%d' % (grains.os, grains.osmajorrelease) }})"
# ---- section 8 ----
{%- for name, server in nginx.servers|dictsort if server.enabled|default(true) %}
{%-   set ns.count = ns.count + 1 %}
bench-8-vhost-{{ name }}:
  file.managed:
    - name: {{ nginx.vhost_dir }}/{{ name }}-8.conf
    - user: {{ nginx.user }}
    - mode: '0644'
    - contents: |
        server {{ '{' }}
          listen {{ server.listen }};
          server_name {{ server.server_name|lower }};
          root {{ server.root }};
        {{ '}' }}
    - require:
      - pkg: nginx-pkg
{%- endfor %}
{%- for name, user in users|dictsort if not user.get('absent') %}
{{ m.user_state(name ~ '-8', user) }}
{%- endfor %}
bench-8-firewall:
  test.show_notification:
    - text: "{{ fw.get('rules', [])|selectattr('proto', 'equalto', 'tcp')|map(attribute='port')|join(',') }} on {{ grains['id'] }} ({{ '%s/%d' % (grains.os, grains.osmajorrelease) }})"

summary:
  test.show_notification:
    - text: {{ ns.count }} vhosts, {{ users|length }} users, {{ grains.num_cpus * 2 }} workers
