section_39:
  host: {{ grains['id'] }}
  index: 39
  items:
    - item-39-1
    - item-39-2
    - item-39-3
    - item-39-4
    - item-39-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_39: secret-39-value
