section_9:
  host: {{ grains['id'] }}
  index: 9
  items:
    - item-9-1
    - item-9-2
    - item-9-3
    - item-9-4
    - item-9-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_9: secret-9-value
