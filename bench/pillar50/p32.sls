section_32:
  host: {{ grains['id'] }}
  index: 32
  items:
    - item-32-1
    - item-32-2
    - item-32-3
    - item-32-4
    - item-32-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_32: secret-32-value
