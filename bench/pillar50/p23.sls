section_23:
  host: {{ grains['id'] }}
  index: 23
  items:
    - item-23-1
    - item-23-2
    - item-23-3
    - item-23-4
    - item-23-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_23: secret-23-value
