section_37:
  host: {{ grains['id'] }}
  index: 37
  items:
    - item-37-1
    - item-37-2
    - item-37-3
    - item-37-4
    - item-37-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_37: secret-37-value
