section_15:
  host: {{ grains['id'] }}
  index: 15
  items:
    - item-15-1
    - item-15-2
    - item-15-3
    - item-15-4
    - item-15-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_15: secret-15-value
