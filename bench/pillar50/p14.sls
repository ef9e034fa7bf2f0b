section_14:
  host: {{ grains['id'] }}
  index: 14
  items:
    - item-14-1
    - item-14-2
    - item-14-3
    - item-14-4
    - item-14-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_14: secret-14-value
