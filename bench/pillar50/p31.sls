section_31:
  host: {{ grains['id'] }}
  index: 31
  items:
    - item-31-1
    - item-31-2
    - item-31-3
    - item-31-4
    - item-31-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_31: secret-31-value
