{%- set params = salt['pillar.get']('sysctl:params', {}) -%}
{%- for name, value in params|dictsort %}
sysctl-{{ name|replace('.', '-') }}:
  sysctl.present:
    - name: {{ name }}
    - value: {{ value }}
{%- else %}
sysctl-nothing-to-do:
  test.nop
{%- endfor %}
{#- A derived value: half the memory for shared buffers, in MB #}
{%- set shm = (grains['mem_total'] * 1024 * 1024 // 2) %}
# shm half of {{ grains.mem_total }} MB = {{ shm }} bytes ({{ (shm / 1024 / 1024)|round(1) }} MB)
# cpus={{ grains.num_cpus }} workers={{ [grains.num_cpus * 2, 8]|min }} {{ 'big' if grains.num_cpus > 8 else 'small' }}
