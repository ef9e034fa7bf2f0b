section_1:
  host: {{ grains['id'] }}
  index: 1
  items:
    - item-1-1
    - item-1-2
    - item-1-3
    - item-1-4
    - item-1-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_1: secret-1-value
