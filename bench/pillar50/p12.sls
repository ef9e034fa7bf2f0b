section_12:
  host: {{ grains['id'] }}
  index: 12
  items:
    - item-12-1
    - item-12-2
    - item-12-3
    - item-12-4
    - item-12-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_12: secret-12-value
