section_7:
  host: {{ grains['id'] }}
  index: 7
  items:
    - item-7-1
    - item-7-2
    - item-7-3
    - item-7-4
    - item-7-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_7: secret-7-value
