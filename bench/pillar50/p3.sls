section_3:
  host: {{ grains['id'] }}
  index: 3
  items:
    - item-3-1
    - item-3-2
    - item-3-3
    - item-3-4
    - item-3-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_3: secret-3-value
