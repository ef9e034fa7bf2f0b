section_11:
  host: {{ grains['id'] }}
  index: 11
  items:
    - item-11-1
    - item-11-2
    - item-11-3
    - item-11-4
    - item-11-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_11: secret-11-value
