section_20:
  host: {{ grains['id'] }}
  index: 20
  items:
    - item-20-1
    - item-20-2
    - item-20-3
    - item-20-4
    - item-20-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_20: secret-20-value
