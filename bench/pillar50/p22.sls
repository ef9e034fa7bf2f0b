section_22:
  host: {{ grains['id'] }}
  index: 22
  items:
    - item-22-1
    - item-22-2
    - item-22-3
    - item-22-4
    - item-22-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_22: secret-22-value
