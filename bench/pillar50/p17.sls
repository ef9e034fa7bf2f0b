section_17:
  host: {{ grains['id'] }}
  index: 17
  items:
    - item-17-1
    - item-17-2
    - item-17-3
    - item-17-4
    - item-17-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_17: secret-17-value
