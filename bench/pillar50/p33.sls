section_33:
  host: {{ grains['id'] }}
  index: 33
  items:
    - item-33-1
    - item-33-2
    - item-33-3
    - item-33-4
    - item-33-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_33: secret-33-value
