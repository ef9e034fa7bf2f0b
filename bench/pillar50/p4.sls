section_4:
  host: {{ grains['id'] }}
  index: 4
  items:
    - item-4-1
    - item-4-2
    - item-4-3
    - item-4-4
    - item-4-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_4: secret-4-value
