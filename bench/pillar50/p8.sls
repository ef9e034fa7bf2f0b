section_8:
  host: {{ grains['id'] }}
  index: 8
  items:
    - item-8-1
    - item-8-2
    - item-8-3
    - item-8-4
    - item-8-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_8: secret-8-value
