section_42:
  host: {{ grains['id'] }}
  index: 42
  items:
    - item-42-1
    - item-42-2
    - item-42-3
    - item-42-4
    - item-42-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_42: secret-42-value
